// Muse 2016 / Muse 2 / Muse S (classic protocol) over Web Bluetooth: preset p21 (4 EEG + IMU),
// then `s`, `d` to stream and `h` to halt, written length-prefixed to the control
// characteristic; one notification characteristic per sensor. Runs on the page; no decoding here.
import type { DeviceId } from '../../descriptor.ts';
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { MUSE_S } from '../muse-s/descriptor.ts';
import { encodeMuseCommand, MuseClassicDecoder } from './decoder.ts';
import { MUSE_2, MUSE_CHARACTERISTICS, MUSE_COMMANDS } from './descriptor.ts';

export function museClassicDriver(id: Extract<DeviceId, 'muse-2' | 'muse-s'>): DriverSpec {
  const descriptor = id === 'muse-2' ? MUSE_2 : MUSE_S;
  const c = MUSE_CHARACTERISTICS;
  return {
    descriptor,
    bluetooth: { notify: [c.eeg_tp9, c.eeg_af7, c.eeg_af8, c.eeg_tp10, c.accelerometer, c.gyroscope, c.telemetry], write: c.control },
    encode: encodeMuseCommand,
    decoder: () => new MuseClassicDecoder(id, { eegChannels: 4 }),
    startCommands: [MUSE_COMMANDS.halt, MUSE_COMMANDS.preset21, MUSE_COMMANDS.status, MUSE_COMMANDS.start],
    stopCommands: [MUSE_COMMANDS.halt],
    commandGapMs: 50,
    // Preset p21 has no AUX electrode: four EEG channels.
    primaryStream: () => ({ ...descriptor.streams[0], channels: descriptor.streams[0].channels.slice(0, 4) }),
  };
}

export const MUSE_2_DRIVER = museClassicDriver('muse-2');

// The device registry: every supported device's descriptor and a factory for its pure decoder.
// Runs anywhere (page, workers, Node CLI). Data and constructors only; no I/O.
import type { DeviceDescriptor, DeviceId } from '../descriptor.ts';
import { BlueberryDecoder } from './blueberry/decoder.ts';
import { BLUEBERRY } from './blueberry/descriptor.ts';
import type { DeviceDecoder } from './decoder.ts';
import { HegduinoDecoder } from './hegduino/decoder.ts';
import { HEGDUINO } from './hegduino/descriptor.ts';
import { MuseClassicDecoder } from './muse-2/decoder.ts';
import { MUSE_2 } from './muse-2/descriptor.ts';
import { MuseAthenaDecoder } from './muse-s-athena/decoder.ts';
import { MUSE_S_ATHENA } from './muse-s-athena/descriptor.ts';
import { MUSE_S } from './muse-s/descriptor.ts';
import { CytonDaisyDecoder } from './openbci-cyton-daisy/decoder.ts';
import { CYTON_DAISY } from './openbci-cyton-daisy/descriptor.ts';
import { CytonDecoder } from './openbci-cyton/decoder.ts';
import { CYTON } from './openbci-cyton/descriptor.ts';
import { GanglionDecoder } from './openbci-ganglion/decoder.ts';
import { GANGLION } from './openbci-ganglion/descriptor.ts';

export const DEVICE_DESCRIPTORS: readonly DeviceDescriptor[] = [CYTON, CYTON_DAISY, GANGLION, MUSE_2, MUSE_S, MUSE_S_ATHENA, HEGDUINO, BLUEBERRY];

export function deviceDescriptor(id: string): DeviceDescriptor | undefined {
  return DEVICE_DESCRIPTORS.find((d) => d.id === id);
}

export interface DecoderOptions {
  /** Ganglion firmware generation (default 3). */
  ganglionFirmware?: 2 | 3;
  /** Muse classic: 4 EEG channels (default) or 5 with the right AUX electrode. */
  museEegChannels?: 4 | 5;
  /** HEGduino: serial bytes (default) or BLE Nordic UART notifications. */
  hegInput?: 'bytes' | 'notifications';
  /** Cyton/Daisy: command strings already sent (gain settings). */
  commandsSent?: string[];
}

export function createDecoder(id: DeviceId, opts: DecoderOptions = {}): DeviceDecoder {
  switch (id) {
    case 'openbci-cyton':
      return new CytonDecoder({ commandsSent: opts.commandsSent });
    case 'openbci-cyton-daisy':
      return new CytonDaisyDecoder({ commandsSent: opts.commandsSent });
    case 'openbci-ganglion':
      return new GanglionDecoder({ firmware: opts.ganglionFirmware ?? 3 });
    case 'muse-2':
    case 'muse-s':
      return new MuseClassicDecoder(id, { eegChannels: opts.museEegChannels ?? 4 });
    case 'muse-s-athena':
      return new MuseAthenaDecoder();
    case 'hegduino':
      return new HegduinoDecoder(opts.hegInput ?? 'bytes');
    case 'blueberry':
      return new BlueberryDecoder();
  }
}

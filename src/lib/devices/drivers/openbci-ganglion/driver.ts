// OpenBCI Ganglion over Web Bluetooth: firmware generation from the Device Information software
// revision (falling back to the advertised name), then `b` / `s` on the send characteristic.
// Runs on the page; no decoding here.
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { GanglionDecoder } from './decoder.ts';
import { DEVICE_INFORMATION_SERVICE, GANGLION, GANGLION_COMMANDS, GANGLION_RECEIVE, GANGLION_SEND, SOFTWARE_REVISION, ganglionFirmware } from './descriptor.ts';

export const GANGLION_DRIVER: DriverSpec = {
  descriptor: GANGLION,
  bluetooth: { notify: [GANGLION_RECEIVE], write: GANGLION_SEND },
  handshake: async (io) => {
    let revision: string | undefined;
    try {
      const bytes = await io.transport.readCharacteristic?.(SOFTWARE_REVISION, DEVICE_INFORMATION_SERVICE);
      if (bytes) revision = new TextDecoder().decode(bytes);
    } catch {
      // fw 2 boards have no Device Information service: decide from the name.
    }
    return { ganglionFirmware: ganglionFirmware(revision, io.transport.label) };
  },
  decoder: (opts) => new GanglionDecoder({ firmware: opts.ganglionFirmware ?? 3 }),
  startCommands: [GANGLION_COMMANDS.start],
  stopCommands: [GANGLION_COMMANDS.stop],
  // `z` replaces the data stream with impedance packets (ohms per channel and REF); `Z` ends it.
  impedance: { on: [GANGLION_COMMANDS.impedanceStart], off: [GANGLION_COMMANDS.impedanceStop], method: 'device-reported' },
  primaryStream: () => GANGLION.streams[0],
};

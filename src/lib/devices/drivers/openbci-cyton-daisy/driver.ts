// OpenBCI Cyton + Daisy (16 channels at 125 Hz) over the USB dongle: the Cyton handshake, which
// must find the Daisy. Runs where the serial transport runs; no decoding here.
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { cytonHandshake, cytonLeadOff } from '../openbci-cyton/driver.ts';
import { CYTON_COMMANDS } from '../openbci-cyton/descriptor.ts';
import { CytonDaisyDecoder } from './decoder.ts';
import { CYTON_DAISY } from './descriptor.ts';

export const CYTON_DAISY_DRIVER: DriverSpec = {
  descriptor: CYTON_DAISY,
  handshake: async (io) => {
    await cytonHandshake(io, CYTON_DAISY, true);
    return {};
  },
  decoder: (opts) => new CytonDaisyDecoder({ commandsSent: opts.commandsSent }),
  startCommands: [CYTON_COMMANDS.start],
  stopCommands: [CYTON_COMMANDS.stop],
  impedance: { on: cytonLeadOff(16, true), off: cytonLeadOff(16, false), method: 'leadoff-tone' },
  primaryStream: () => CYTON_DAISY.streams[0],
};

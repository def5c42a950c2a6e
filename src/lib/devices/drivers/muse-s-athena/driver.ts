// Muse S Athena over Web Bluetooth: the BrainFlow/OpenMuse start sequence (v6, s, h, p1041, s,
// dc001 ×2, L1, s, ~200 ms apart), typed blocks on one data characteristic, `h` to halt.
// Runs on the page; no decoding here.
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { encodeMuseCommand } from '../muse-2/decoder.ts';
import { MuseAthenaDecoder } from './decoder.ts';
import { ATHENA_COMMANDS, ATHENA_CONTROL, ATHENA_DATA, MUSE_S_ATHENA } from './descriptor.ts';

const A = ATHENA_COMMANDS;

export const MUSE_S_ATHENA_DRIVER: DriverSpec = {
  descriptor: MUSE_S_ATHENA,
  bluetooth: { notify: [ATHENA_DATA], write: ATHENA_CONTROL },
  encode: encodeMuseCommand,
  decoder: () => new MuseAthenaDecoder(),
  startCommands: [A.version, A.status, A.halt, A.presetDefault, A.status, A.startData, A.startData, A.lowLatency, A.status],
  stopCommands: [A.halt],
  commandGapMs: 200,
  primaryStream: () => MUSE_S_ATHENA.streams[0],
};

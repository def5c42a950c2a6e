// Blueberry fNIRS glasses over Web Bluetooth: notifications on the long- and short-path
// characteristics, no commands. Runs on the page; no decoding here.
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { BlueberryDecoder } from './decoder.ts';
import { BLUEBERRY, BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH } from './descriptor.ts';

export const BLUEBERRY_DRIVER: DriverSpec = {
  descriptor: BLUEBERRY,
  bluetooth: { notify: [BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH] },
  decoder: () => new BlueberryDecoder(),
  startCommands: [],
  stopCommands: [],
  primaryStream: () => BLUEBERRY.streams[0],
};

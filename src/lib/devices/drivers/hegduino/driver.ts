// HEGduino over Web Serial (USB-UART) or BLE Nordic UART: `t` starts the sensor, `f` stops it;
// ASCII lines of raw red/IR intensities. Runs where its transport runs; no decoding here.
import type { TransportKind } from '../../descriptor.ts';
import type { DriverSpec } from '../../transports/transport-driver.ts';
import { HegduinoDecoder } from './decoder.ts';
import { HEG_COMMANDS, HEG_NUS_RX, HEG_NUS_TX, HEGDUINO } from './descriptor.ts';

export function hegduinoDriver(transport: TransportKind): DriverSpec {
  return {
    descriptor: HEGDUINO,
    bluetooth: { notify: [HEG_NUS_TX], write: HEG_NUS_RX },
    decoder: () => new HegduinoDecoder(transport === 'bluetooth' ? 'notifications' : 'bytes'),
    startCommands: [HEG_COMMANDS.start],
    stopCommands: [HEG_COMMANDS.stop],
    primaryStream: () => HEGDUINO.streams[0],
  };
}

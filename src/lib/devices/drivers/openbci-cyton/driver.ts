// OpenBCI Cyton over the USB dongle (Web Serial, or WebUSB FTDI on Android): the handshake
// (`v` → reply ending `$$$`, check the board answered and which firmware; `d` defaults), then
// `b` / `s`. Every command goes through the driver, which calls decoder.noteCommand (gain
// tracking: µV per count depends on it). Runs where the serial transport runs; no decoding here.
import { TransportError } from '../../transports/types.ts';
import type { DriverIo, DriverSpec } from '../../transports/transport-driver.ts';
import type { DeviceDescriptor } from '../../descriptor.ts';
import { CytonDecoder } from './decoder.ts';
import { CYTON, CYTON_COMMANDS } from './descriptor.ts';
import { EOT, parseCytonReply } from './handshake.ts';

/** Replies to `v` longer than this without `$$$` are not an OpenBCI board. */
export const CYTON_REPLY_TIMEOUT_MS = 3000;

/** Soft reset and identify; shared with the Daisy driver. `daisy` = the board must have one. */
export async function cytonHandshake(io: DriverIo, d: DeviceDescriptor, daisy: boolean): Promise<void> {
  // A board left streaming by a previous session: stop it and drop what it sent.
  await io.send(CYTON_COMMANDS.stop);
  await io.sleep(50);
  await io.readText('\u0000never', 0);
  await io.send(CYTON_COMMANDS.softReset);
  const r = await io.readText(EOT, CYTON_REPLY_TIMEOUT_MS);
  const reply = parseCytonReply(r.text);
  if (!r.complete && r.text.length === 0) throw new TransportError('wrong-device', `${io.transport.label} did not answer the OpenBCI reset command: is it the OpenBCI dongle, and is the board switched on (PC position)?`);
  if (reply.boardOff) throw new TransportError('not-found', `the dongle answered but the ${d.name} did not (${reply.text.trim()}): switch the board on and check its channel`);
  if (!r.complete || !/OpenBCI|ADS1299/i.test(reply.text)) throw new TransportError('unknown-firmware', `unexpected reply from ${io.transport.label}: "${reply.text.slice(0, 80).trim()}"`);
  if (daisy && !reply.daisy) throw new TransportError('wrong-device', 'no Daisy module answered: choose "OpenBCI Cyton" for an 8-channel board');
  // A Cyton with a Daisy attached streams 16 channels unless told otherwise.
  if (!daisy && reply.daisy) await io.send(CYTON_COMMANDS.mode8Channels);
  await io.send(CYTON_COMMANDS.defaults);
  await io.readText(EOT, 1000);
}

/**
 * Lead-off commands `z CH P N Z` per channel: test the N inputs (electrodes sit on the N pins with
 * SRB2 as reference in the default setup), P off. `off` restores no lead-off current.
 */
export function cytonLeadOff(channels: number, on: boolean): string[] {
  const chars = '12345678QWERTYUI';
  return Array.from({ length: channels }, (_, i) => `z${chars[i]}0${on ? 1 : 0}Z`);
}

export const CYTON_DRIVER: DriverSpec = {
  descriptor: CYTON,
  handshake: async (io) => {
    await cytonHandshake(io, CYTON, false);
    return {};
  },
  decoder: (opts) => new CytonDecoder({ commandsSent: opts.commandsSent }),
  startCommands: [CYTON_COMMANDS.start],
  stopCommands: [CYTON_COMMANDS.stop],
  impedance: { on: cytonLeadOff(8, true), off: cytonLeadOff(8, false), method: 'leadoff-tone' },
  primaryStream: () => CYTON.streams[0],
};

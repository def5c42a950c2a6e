// Pure parsing of the Cyton/dongle text replies used by the serial handshake (BrainFlow
// openbci_serial_board.cpp: send `v`, read until `$$$`, then `d`). Runs in the io worker and Node.
// No I/O here: the driver accumulates bytes and asks these functions what they mean.

export const EOT = '$$$';

export interface CytonReply {
  /** The reply ended with `$$$` (the firmware's end of transmission). */
  complete: boolean;
  /** Text before `$$$`. */
  text: string;
  /** "Failure: …" — the dongle answered but the board did not (board off or out of range). */
  boardOff: boolean;
  /** Firmware version from "Firmware: v3.1.2", if present. */
  firmware?: string;
  /** An "On Daisy ADS1299 Device ID" line: a Daisy module is attached. */
  daisy: boolean;
}

/** Interpret the text read so far after a command (soft reset `v`, defaults `d`, …). */
export function parseCytonReply(text: string): CytonReply {
  const i = text.indexOf(EOT);
  const complete = i >= 0;
  const body = complete ? text.slice(0, i) : text;
  const fw = /Firmware:\s*(v[\d.]+)/.exec(body);
  const out: CytonReply = {
    complete,
    text: body,
    boardOff: /(^|\n)\s*Failure/.test(body),
    daisy: /On Daisy ADS1299 Device ID/.test(body),
  };
  if (fw) out.firmware = fw[1];
  return out;
}

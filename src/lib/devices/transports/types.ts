// The transport contract every device driver talks through: open / read / write / close and a
// disconnect event, with the same shape for Web Serial, WebUSB (FTDI) and Web Bluetooth.
// Runs on the page (Bluetooth, Serial, USB) or in a worker (Serial, USB). Thin: no decoding here,
// no timers, no clock reads; the browser objects are injected so tests pass fakes.
import type { TransportKind } from '../descriptor.ts';

/** Called for every chunk of bytes (serial/USB) or notification payload (BLE, with its UUID). */
export type DataListener = (payload: Uint8Array, characteristicUuid?: string) => void;

export interface DeviceTransport {
  readonly kind: TransportKind;
  /** Human-readable name of what is connected ("FTDI 0403:6015", "Muse-1A2B"). */
  readonly label: string;
  /** True between a successful `open` and `close` or a disconnect. */
  readonly connected: boolean;
  /**
   * Connect (or connect again after a disconnect: same port/device, re-acquired without a user
   * gesture where the browser allows it). Errors are TransportError with a `code`.
   */
  open(): Promise<void>;
  /** Start delivering data to `onData` (serial/USB read loop, or BLE notifications). */
  listen(onData: DataListener): Promise<void>;
  /** Write bytes to the device (BLE: to the descriptor's command characteristic). */
  write(bytes: Uint8Array): Promise<void>;
  /** Stop reading and release the port/connection. Idempotent. */
  close(): Promise<void>;
  /** Set by the owner: called once per unexpected loss (unplug, out of range, read error). */
  onDisconnect: ((reason: string) => void) | null;
  /** BLE only: read one characteristic's current value (e.g. firmware revision). */
  readCharacteristic?(uuid: string, serviceUuid?: string): Promise<Uint8Array>;
}

/** Why a connection attempt failed, as the Devices page explains it. */
export type TransportErrorCode =
  | 'unsupported' // the browser has no such API (or it is disabled by a flag)
  | 'permission-denied' // the user dismissed the chooser or refused access
  | 'port-busy' // another program or tab holds the port
  | 'wrong-device' // the chosen device is not the selected kind (services or ids missing)
  | 'unknown-firmware' // the device answered but not as the driver expects
  | 'not-found' // the previously granted device is not present (unplugged, out of range)
  | 'io'; // anything else while talking to the device

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Map a DOMException from a Web Serial/Bluetooth/USB call to a TransportError. */
export function classifyDomError(e: unknown, what: string): TransportError {
  if (e instanceof TransportError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const msg = (e as { message?: string })?.message ?? String(e);
  if (name === 'NotFoundError') return new TransportError('permission-denied', `${what}: no device was chosen (${msg})`);
  if (name === 'SecurityError' || name === 'NotAllowedError') return new TransportError('permission-denied', `${what}: permission denied (${msg})`);
  if (name === 'InvalidStateError' || /already open|busy|in use|failed to open/i.test(msg)) return new TransportError('port-busy', `${what}: the port is busy or already open (${msg})`);
  if (name === 'NetworkError') return new TransportError('not-found', `${what}: the device is not reachable (${msg})`);
  return new TransportError('io', `${what}: ${msg}`);
}

/** ASCII text → bytes (commands are plain ASCII; 0xF0-style dongle bytes kept as raw codes). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

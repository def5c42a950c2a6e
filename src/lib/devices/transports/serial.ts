// Web Serial transport: opens a granted port at the descriptor's line settings, runs the read
// loop, writes commands, and re-acquires the same port through `getPorts()` after an unplug.
// Runs on the page or in a dedicated worker (Chromium exposes navigator.serial in dedicated
// workers; the first grant needs a user gesture on the page). No decoding, no timers here.
import type { SerialFacts } from '../descriptor.ts';
import { classifyDomError, TransportError, type DataListener, type DeviceTransport } from './types.ts';

/** The slice of the Web Serial API we use (lib.dom has no Web Serial types). */
export interface SerialPortInfoLike {
  usbVendorId?: number;
  usbProductId?: number;
}
export interface SerialPortLike extends EventTarget {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: { baudRate: number; dataBits?: number; stopBits?: number; parity?: string; bufferSize?: number }): Promise<void>;
  close(): Promise<void>;
  getInfo(): SerialPortInfoLike;
}
export interface SerialLike extends EventTarget {
  getPorts(): Promise<SerialPortLike[]>;
  requestPort(options?: { filters?: SerialPortInfoLike[] }): Promise<SerialPortLike>;
}

/** `navigator.serial` where it exists (page or worker), else undefined. */
export function webSerial(): SerialLike | undefined {
  return (globalThis.navigator as unknown as { serial?: SerialLike } | undefined)?.serial;
}

/** Same physical adapter? (USB ids; ports without ids match any port without ids.) */
export function samePortInfo(a: SerialPortInfoLike, b: SerialPortInfoLike): boolean {
  return a.usbVendorId === b.usbVendorId && a.usbProductId === b.usbProductId;
}

export class SerialTransport implements DeviceTransport {
  readonly kind = 'serial' as const;
  onDisconnect: ((reason: string) => void) | null = null;
  private port: SerialPortLike | null;
  private readonly info: SerialPortInfoLike;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private loop: Promise<void> | null = null;
  private isOpen = false;
  private closing = false;
  private readonly onPortDisconnect = () => this.lost('the serial port was unplugged');

  /**
   * @param serial navigator.serial (or a fake), used to find the port again after an unplug
   * @param port a port the user granted (requestPort on the page, or getPorts in a worker)
   */
  constructor(
    private readonly serial: SerialLike,
    port: SerialPortLike,
    private readonly facts: SerialFacts,
  ) {
    this.port = port;
    this.info = port.getInfo();
  }

  get label(): string {
    const hex = (n?: number) => (n === undefined ? '?' : n.toString(16).padStart(4, '0'));
    return this.info.usbVendorId === undefined ? 'serial port' : `serial ${hex(this.info.usbVendorId)}:${hex(this.info.usbProductId)}`;
  }

  get connected(): boolean {
    return this.isOpen;
  }

  /** USB ids of the adapter (how a worker finds the same port with getPorts()). */
  get portInfo(): SerialPortInfoLike {
    return { ...this.info };
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    this.closing = false;
    // After an unplug the old SerialPort is dead; a replugged adapter is a new object in getPorts().
    const candidates = await this.serial.getPorts();
    const port = candidates.includes(this.port as SerialPortLike) ? this.port : candidates.find((p) => samePortInfo(p.getInfo(), this.info));
    if (!port) throw new TransportError('not-found', `${this.label} is not plugged in (or its permission was revoked)`);
    this.port = port;
    try {
      await port.open({ baudRate: this.facts.baudRate, dataBits: this.facts.dataBits, stopBits: this.facts.stopBits, parity: this.facts.parity, bufferSize: 1 << 16 });
    } catch (e) {
      throw classifyDomError(e, `opening ${this.label}`);
    }
    port.addEventListener('disconnect', this.onPortDisconnect);
    this.isOpen = true;
  }

  async listen(onData: DataListener): Promise<void> {
    const port = this.port;
    if (!this.isOpen || !port?.readable) throw new TransportError('io', `${this.label} is not open`);
    const reader = port.readable.getReader();
    this.reader = reader;
    this.loop = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value && value.length > 0) onData(value);
        }
        if (!this.closing) this.lost('the serial stream ended');
      } catch (e) {
        if (!this.closing) this.lost(`serial read failed: ${(e as Error).message}`);
      } finally {
        try {
          reader.releaseLock();
        } catch {
          /* already released */
        }
      }
    })();
  }

  async write(bytes: Uint8Array): Promise<void> {
    const w = this.port?.writable;
    if (!this.isOpen || !w) throw new TransportError('io', `${this.label} is not open`);
    const writer = w.getWriter();
    try {
      await writer.write(bytes);
    } catch (e) {
      throw classifyDomError(e, `writing to ${this.label}`);
    } finally {
      writer.releaseLock();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const port = this.port;
    port?.removeEventListener('disconnect', this.onPortDisconnect);
    if (this.reader) await this.reader.cancel().catch(() => {});
    await this.loop?.catch(() => {});
    this.reader = null;
    this.loop = null;
    if (this.isOpen && port) await port.close().catch(() => {});
    this.isOpen = false;
  }

  private lost(reason: string): void {
    if (!this.isOpen || this.closing) return;
    this.isOpen = false;
    this.port?.removeEventListener('disconnect', this.onPortDisconnect);
    const port = this.port;
    // Release what is left of the dead port so a reopen of the same object can succeed.
    void (async () => {
      await this.reader?.cancel().catch(() => {});
      await port?.close().catch(() => {});
    })();
    this.reader = null;
    this.onDisconnect?.(reason);
  }
}

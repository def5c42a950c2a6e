// A fake Web Serial API (navigator.serial, SerialPort with readable/writable streams that can be
// unplugged and plugged back) plus a Cyton board emulator behind it, for unit tests (Node) and for
// Chromium (serialised into the page with addInitScript: everything lives inside one function,
// no imports, no outer references). Test-only.

export interface CytonEmulatorOptions {
  /** Counters to skip (packets never sent), e.g. [50, 51] drops two packets. */
  dropCounters?: number[];
  /** Reply to `v` (defaults to a Cyton v3 banner). */
  banner?: string;
  /** Electrode impedance (ohms) seen by the lead-off current (`z CH P N Z`), default 10 kΩ. */
  electrodeOhms?: number;
  /** Delay before text replies (ms; 0 = next microtask), to see the "connecting" state. */
  replyDelayMs?: number;
}

export function fakeSerialKit() {
  const domError = (name: string, message: string) => {
    const e = new Error(message);
    e.name = name;
    return e;
  };

  /** One Cyton packet: A0, counter, 8 × int24 BE, 3 × int16 BE accel, footer. */
  const cytonPacket = (counter: number, counts: ArrayLike<number>, footer = 0xc0, accel: ArrayLike<number> = [0, 0, 0]): Uint8Array => {
    const b = new Uint8Array(33);
    b[0] = 0xa0;
    b[1] = counter & 0xff;
    for (let c = 0; c < 8; c++) {
      const v = counts[c] & 0xffffff;
      b[2 + 3 * c] = (v >> 16) & 0xff;
      b[3 + 3 * c] = (v >> 8) & 0xff;
      b[4 + 3 * c] = v & 0xff;
    }
    for (let a = 0; a < 3; a++) {
      const v = accel[a] & 0xffff;
      b[26 + 2 * a] = (v >> 8) & 0xff;
      b[27 + 2 * a] = v & 0xff;
    }
    b[32] = footer;
    return b;
  };

  class FakeSerialPort extends EventTarget {
    readable: ReadableStream<Uint8Array> | null = null;
    writable: WritableStream<Uint8Array> | null = null;
    present = true;
    busy = false;
    openCount = 0;
    written: number[] = [];
    onWrite: ((bytes: Uint8Array) => void) | null = null;
    private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
    constructor(readonly info: { usbVendorId?: number; usbProductId?: number }) {
      super();
    }
    getInfo() {
      return { ...this.info };
    }
    get isOpen(): boolean {
      return this.readable !== null;
    }
    async open(_o: { baudRate: number }): Promise<void> {
      if (!this.present) throw domError('NetworkError', 'The device has been lost.');
      if (this.busy) throw domError('NetworkError', 'Failed to open serial port.');
      if (this.readable) throw domError('InvalidStateError', 'The port is already open.');
      this.openCount++;
      this.readable = new ReadableStream<Uint8Array>({
        start: (c) => {
          this.controller = c;
        },
        cancel: () => {
          this.controller = null;
        },
      });
      this.writable = new WritableStream<Uint8Array>({
        write: (chunk) => {
          if (!this.present) throw domError('NetworkError', 'The device has been lost.');
          for (const x of chunk) this.written.push(x);
          this.onWrite?.(chunk);
        },
      });
    }
    async close(): Promise<void> {
      try {
        this.controller?.close();
      } catch {
        /* already errored */
      }
      this.controller = null;
      this.readable = null;
      this.writable = null;
    }
    /** Bytes from the device to the host. */
    emit(bytes: Uint8Array): boolean {
      if (!this.controller) return false;
      this.controller.enqueue(bytes.slice());
      return true;
    }
    /** The adapter is pulled out: the read fails, `disconnect` fires, the object is dead. */
    unplug(): void {
      this.present = false;
      try {
        this.controller?.error(domError('NetworkError', 'The device has been lost.'));
      } catch {
        /* closed */
      }
      this.controller = null;
      this.dispatchEvent(new Event('disconnect'));
    }
  }

  /** Cyton + dongle behaviour behind a port: replies, streaming on `b`, stop on `s`. */
  class CytonEmulator {
    counter = 0;
    streaming = false;
    sent = 0;
    commands = '';
    port: FakeSerialPort | null = null;
    /** Channels with lead-off current on (index 0–7). */
    readonly leadOff = new Set<number>();
    private pending = '';
    constructor(readonly opts: CytonEmulatorOptions = {}) {}
    attach(port: FakeSerialPort): void {
      this.port = port;
      port.onWrite = (bytes) => this.command(bytes);
    }
    private reply(text: string): void {
      const b = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
      const port = this.port;
      if (this.opts.replyDelayMs) setTimeout(() => port?.emit(b), this.opts.replyDelayMs);
      else queueMicrotask(() => port?.emit(b));
    }
    private command(bytes: Uint8Array): void {
      for (const x of bytes) {
        const ch = String.fromCharCode(x);
        this.commands += ch;
        // `z CH P N Z`: lead-off current on a channel's P and/or N input.
        if (this.pending || ch === 'z') {
          this.pending += ch;
          if (this.pending.length === 5) {
            const c = '12345678'.indexOf(this.pending[1]);
            if (c >= 0 && this.pending[4] === 'Z') {
              if (this.pending[2] === '1' || this.pending[3] === '1') this.leadOff.add(c);
              else this.leadOff.delete(c);
            }
            this.pending = '';
          }
          continue;
        }
        if (ch === 'v') this.reply(this.opts.banner ?? 'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$');
        else if (ch === 'd') this.reply('updating channel settings to default$$$');
        else if (ch === 'b') this.streaming = true;
        else if (ch === 's') this.streaming = false;
      }
    }
    /**
     * Sends `n` packets: a 10 Hz sine of 50 µV on channel 1, a ramp on channel 2, and the
     * accelerometer at rest (Z = +1 g, 8000 counts) on every 10th packet, as the LIS3DH's 25 Hz
     * (zeros in between mean "no new reading").
     */
    pump(n: number): void {
      if (!this.streaming || !this.port) return;
      const out = new Uint8Array(33 * n);
      let len = 0;
      const counts = [0, 0, 0, 0, 0, 0, 0, 0];
      const uvPerCount = 4.5 / 24 / 8388607 * 1e6;
      for (let i = 0; i < n; i++) {
        const k = this.sent++;
        const c = this.counter;
        this.counter = (this.counter + 1) & 0xff;
        if (this.opts.dropCounters?.includes(k)) continue;
        counts[0] = Math.round((50 * Math.sin((2 * Math.PI * 10 * k) / 250)) / uvPerCount);
        counts[1] = k % 1000;
        for (let ch = 2; ch < 8; ch++) counts[ch] = 0;
        // Lead-off: 6 nA at 31.25 Hz through electrode + 2.2 kΩ series resistor.
        const tonePeakUv = 6e-9 * ((this.opts.electrodeOhms ?? 10_000) + 2200) * 1e6;
        for (const ch of this.leadOff) counts[ch] += Math.round((tonePeakUv * Math.sin((2 * Math.PI * 31.25 * k) / 250)) / uvPerCount);
        out.set(cytonPacket(c, counts, 0xc0, k % 10 === 0 ? [0, 0, 8000] : [0, 0, 0]), len);
        len += 33;
      }
      if (len > 0) this.port.emit(out.subarray(0, len));
    }
  }

  class FakeSerial extends EventTarget {
    ports: FakeSerialPort[] = [];
    /** Next requestPort answers with this (undefined = the user cancels the chooser). */
    chooserPick: FakeSerialPort | undefined;
    requests = 0;
    async getPorts(): Promise<FakeSerialPort[]> {
      return this.ports.filter((p) => p.present);
    }
    async requestPort(_o?: unknown): Promise<FakeSerialPort> {
      this.requests++;
      const p = this.chooserPick;
      if (!p) throw domError('NotFoundError', 'No port selected by the user.');
      if (!this.ports.includes(p)) this.ports.push(p);
      return p;
    }
    /** A new adapter (or the same one plugged back: a new SerialPort object, same ids). */
    plug(info: { usbVendorId?: number; usbProductId?: number }): FakeSerialPort {
      const p = new FakeSerialPort(info);
      this.ports.push(p);
      this.dispatchEvent(new Event('connect'));
      return p;
    }
    unplug(p: FakeSerialPort): void {
      p.unplug();
      this.ports = this.ports.filter((x) => x !== p);
    }
  }

  return { FakeSerial, FakeSerialPort, CytonEmulator, cytonPacket };
}

export type FakeSerialKit = ReturnType<typeof fakeSerialKit>;
export type FakeSerial = InstanceType<FakeSerialKit['FakeSerial']>;
export type FakeSerialPort = InstanceType<FakeSerialKit['FakeSerialPort']>;

// A fake WebUSB FTDI adapter: records control transfers, answers bulk IN with queued bytes split
// into 64-byte USB packets that each start with two modem-status bytes (like an FT231X), and can
// be unplugged. Self-contained for addInitScript. Test-only.

export function fakeUsbKit() {
  const domError = (name: string, message: string) => {
    const e = new Error(message);
    e.name = name;
    return e;
  };

  class FakeFtdiDevice {
    opened = false;
    present = true;
    claimed: number[] = [];
    controls: { request: number; value: number; index: number }[] = [];
    out: number[] = [];
    configuration: { interfaces: { interfaceNumber: number; alternate: { endpoints: { endpointNumber: number; direction: 'in' | 'out'; type: string; packetSize: number }[] } }[] } | null = null;
    private queue: number[] = [];
    private waiters: Array<() => void> = [];
    onWrite: ((bytes: Uint8Array) => void) | null = null;
    readonly productName = 'FT231X USB UART';
    constructor(
      readonly vendorId = 0x0403,
      readonly productId = 0x6015,
      readonly serialNumber = 'DM00ABCD',
    ) {}
    async open() {
      if (!this.present) throw domError('NotFoundError', 'The device was disconnected.');
      this.opened = true;
    }
    async close() {
      this.opened = false;
      this.wake();
    }
    async selectConfiguration(_n: number) {
      this.configuration = {
        interfaces: [{ interfaceNumber: 0, alternate: { endpoints: [{ endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 64 }, { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: 64 }] } }],
      };
    }
    async claimInterface(n: number) {
      this.claimed.push(n);
    }
    async controlTransferOut(setup: { request: number; value: number; index: number }) {
      if (!this.present) throw domError('NetworkError', 'A transfer error has occurred.');
      this.controls.push({ request: setup.request, value: setup.value, index: setup.index });
      return { status: 'ok' };
    }
    async transferOut(_ep: number, data: BufferSource) {
      if (!this.present) throw domError('NetworkError', 'A transfer error has occurred.');
      const b = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset, (data as ArrayBufferView).byteLength);
      for (const x of b) this.out.push(x);
      this.onWrite?.(b.slice());
      return { status: 'ok', bytesWritten: b.length };
    }
    /** Bytes the UART received from the board. */
    emit(bytes: Uint8Array): void {
      for (const x of bytes) this.queue.push(x);
      this.wake();
    }
    private wake() {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
    async transferIn(_ep: number, length: number) {
      while (this.present && this.opened && this.queue.length === 0) await new Promise<void>((ok) => this.waiters.push(ok));
      if (!this.present) throw domError('NetworkError', 'A transfer error has occurred.');
      if (!this.opened) throw domError('AbortError', 'The transfer was cancelled.');
      const out: number[] = [];
      while (out.length + 2 < length && this.queue.length > 0) {
        const n = Math.min(62, this.queue.length, length - out.length - 2);
        out.push(0x01, 0x60); // modem status: CTS/DSR-ish bits, THRE|TEMT
        for (let i = 0; i < n; i++) out.push(this.queue.shift() as number);
      }
      return { status: 'ok', data: new DataView(new Uint8Array(out).buffer) };
    }
    unplug() {
      this.present = false;
      this.opened = false;
      this.wake();
    }
  }

  class FakeUsb extends EventTarget {
    devices: FakeFtdiDevice[] = [];
    chooserPick: FakeFtdiDevice | undefined;
    async getDevices() {
      return this.devices.filter((d) => d.present);
    }
    async requestDevice(_o: unknown) {
      const d = this.chooserPick;
      if (!d) throw domError('NotFoundError', 'No device selected.');
      if (!this.devices.includes(d)) this.devices.push(d);
      return d;
    }
    unplug(d: FakeFtdiDevice) {
      d.unplug();
      const ev = new Event('disconnect') as Event & { device?: FakeFtdiDevice };
      ev.device = d;
      this.dispatchEvent(ev);
    }
  }

  return { FakeUsb, FakeFtdiDevice };
}

// A fake Web Bluetooth API: requestDevice with a scripted chooser, a device whose GATT server
// has services and characteristics that push notifications, and that can go out of range and
// come back. Plus a Muse (classic) emulator producing EEG/telemetry notifications. One
// self-contained function so Chromium tests can inject it with addInitScript. Test-only.

export function fakeBluetoothKit() {
  const domError = (name: string, message: string) => {
    const e = new Error(message);
    e.name = name;
    return e;
  };

  class FakeCharacteristic extends EventTarget {
    value: DataView | null = null;
    notifying = false;
    readonly properties = { notify: true, write: true, writeWithoutResponse: true, read: true };
    constructor(
      readonly uuid: string,
      readonly device: FakeBluetoothDevice,
      readValueBytes?: Uint8Array,
    ) {
      super();
      if (readValueBytes) this.value = new DataView(readValueBytes.slice().buffer);
    }
    async startNotifications() {
      if (!this.device.gatt.connected) throw domError('NetworkError', 'GATT Server is disconnected.');
      this.notifying = true;
      return this;
    }
    async stopNotifications() {
      this.notifying = false;
      return this;
    }
    async readValue(): Promise<DataView> {
      if (!this.device.gatt.connected) throw domError('NetworkError', 'GATT Server is disconnected.');
      return this.value ?? new DataView(new ArrayBuffer(0));
    }
    async writeValueWithoutResponse(v: BufferSource): Promise<void> {
      if (!this.device.gatt.connected) throw domError('NetworkError', 'GATT Server is disconnected.');
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array((v as ArrayBufferView).buffer, (v as ArrayBufferView).byteOffset, (v as ArrayBufferView).byteLength);
      this.device.writes.push({ uuid: this.uuid, bytes: bytes.slice() });
      this.device.onWrite?.(this.uuid, bytes.slice());
    }
    async writeValue(v: BufferSource): Promise<void> {
      return this.writeValueWithoutResponse(v);
    }
    /** The device sends one notification (fresh DataView each time, like Chromium). */
    notify(bytes: Uint8Array): boolean {
      if (!this.notifying || !this.device.gatt.connected) return false;
      this.value = new DataView(bytes.slice().buffer);
      this.dispatchEvent(new Event('characteristicvaluechanged'));
      return true;
    }
  }

  class FakeService {
    readonly characteristics = new Map<string, FakeCharacteristic>();
    constructor(readonly uuid: string) {}
    async getCharacteristic(uuid: string): Promise<FakeCharacteristic> {
      const c = this.characteristics.get(uuid.toLowerCase());
      if (!c) throw domError('NotFoundError', `No Characteristics matching UUID ${uuid} found in Service.`);
      return c;
    }
  }

  class FakeGattServer {
    connected = false;
    connects = 0;
    constructor(readonly device: FakeBluetoothDevice) {}
    async connect(): Promise<FakeGattServer> {
      if (!this.device.inRange) throw domError('NetworkError', 'Connection attempt failed.');
      this.connected = true;
      this.connects++;
      return this;
    }
    disconnect(): void {
      if (!this.connected) return;
      this.connected = false;
      for (const s of this.device.services.values()) for (const c of s.characteristics.values()) c.notifying = false;
      this.device.dispatchEvent(new Event('gattserverdisconnected'));
    }
    async getPrimaryService(uuid: string): Promise<FakeService> {
      if (!this.connected) throw domError('NetworkError', 'GATT Server is disconnected.');
      const s = this.device.services.get(uuid.toLowerCase());
      if (!s) throw domError('NotFoundError', `No Services matching UUID ${uuid} found in Device.`);
      return s;
    }
  }

  class FakeBluetoothDevice extends EventTarget {
    readonly gatt: FakeGattServer;
    readonly services = new Map<string, FakeService>();
    inRange = true;
    writes: { uuid: string; bytes: Uint8Array }[] = [];
    onWrite: ((uuid: string, bytes: Uint8Array) => void) | null = null;
    constructor(
      readonly id: string,
      readonly name: string,
    ) {
      super();
      this.gatt = new FakeGattServer(this);
    }
    addService(uuid: string, characteristics: string[], values: Record<string, Uint8Array> = {}): FakeService {
      const s = new FakeService(uuid.toLowerCase());
      for (const c of characteristics) s.characteristics.set(c.toLowerCase(), new FakeCharacteristic(c.toLowerCase(), this, values[c]));
      this.services.set(s.uuid, s);
      return s;
    }
    characteristic(uuid: string): FakeCharacteristic {
      for (const s of this.services.values()) {
        const c = s.characteristics.get(uuid.toLowerCase());
        if (c) return c;
      }
      throw new Error(`fake device has no characteristic ${uuid}`);
    }
    /** Out of range: the link drops (and connect fails until `comeBack`). */
    goAway(): void {
      this.inRange = false;
      this.gatt.disconnect();
    }
    comeBack(): void {
      this.inRange = true;
    }
  }

  class FakeBluetooth {
    devices: FakeBluetoothDevice[] = [];
    /** What the chooser answers: a device, or undefined = the user cancelled. */
    chooserPick: FakeBluetoothDevice | undefined;
    lastOptions: unknown = null;
    async getAvailability(): Promise<boolean> {
      return true;
    }
    async requestDevice(options: { filters?: { namePrefix?: string }[] }): Promise<FakeBluetoothDevice> {
      this.lastOptions = options;
      const d = this.chooserPick;
      if (!d) throw domError('NotFoundError', 'User cancelled the requestDevice() chooser.');
      const prefixes = (options.filters ?? []).map((f) => f.namePrefix).filter((p): p is string => !!p);
      if (prefixes.length > 0 && !prefixes.some((p) => d.name.startsWith(p))) throw domError('NotFoundError', 'User cancelled the requestDevice() chooser.');
      return d;
    }
    async getDevices(): Promise<FakeBluetoothDevice[]> {
      return this.devices;
    }
  }

  const museChar = (xx: number) => `273e00${xx.toString(16).padStart(2, '0')}-4c4d-454d-96be-f03bac821358`;

  /** A Muse 2 (classic protocol) behind a fake device: 4 EEG channels at 256 Hz, telemetry. */
  class MuseEmulator {
    seq = 0;
    streaming = false;
    sent = 0;
    readonly device: FakeBluetoothDevice;
    constructor(name = 'Muse-1A2B', readonly dropSeqs: number[] = []) {
      this.device = new FakeBluetoothDevice(`fake-${name}`, name);
      const chars = [0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0a, 0x0b, 0x0f, 0x10, 0x11].map(museChar);
      this.device.addService('0000fe8d-0000-1000-8000-00805f9b34fb', chars);
      this.device.onWrite = (_uuid, bytes) => {
        const cmd = String.fromCharCode(...bytes.subarray(1, bytes.length - 1));
        if (cmd === 'd') this.streaming = true;
        else if (cmd === 'h') this.streaming = false;
      };
    }
    /** One EEG packet on each of the 4 channels (12 samples each: a 10 Hz sine of 40 µV). */
    pump(packets = 1): void {
      if (!this.streaming || !this.device.gatt.connected) return;
      for (let p = 0; p < packets; p++) {
        const seq = this.seq;
        this.seq = (this.seq + 1) & 0xffff;
        this.sent++;
        if (this.dropSeqs.includes(seq)) continue;
        for (let ch = 0; ch < 4; ch++) {
          const b = new Uint8Array(20);
          b[0] = seq >> 8;
          b[1] = seq & 0xff;
          for (let i = 0; i < 12; i += 2) {
            const s0 = seq * 12 + i;
            const v0 = Math.round(2048 + (40 * Math.sin((2 * Math.PI * 10 * s0) / 256)) / 0.48828125) & 0xfff;
            const v1 = Math.round(2048 + (40 * Math.sin((2 * Math.PI * 10 * (s0 + 1)) / 256)) / 0.48828125) & 0xfff;
            const o = 2 + (i / 2) * 3;
            b[o] = v0 >> 4;
            b[o + 1] = ((v0 & 0xf) << 4) | (v1 >> 8);
            b[o + 2] = v1 & 0xff;
          }
          this.device.characteristic(museChar(0x03 + ch)).notify(b);
        }
        if (seq % 64 === 0) {
          // Telemetry: seq, battery × 512, fuel gauge / 2.2, ?, temperature.
          const t = new Uint8Array(20);
          const batt = Math.round(87.5 * 512);
          t[0] = seq >> 8;
          t[1] = seq & 0xff;
          t[2] = batt >> 8;
          t[3] = batt & 0xff;
          this.device.characteristic(museChar(0x0b)).notify(t);
        }
      }
    }
  }

  /**
   * A Muse S Athena behind a fake device: one data characteristic; each notification is one
   * packet with an 8-channel EEG sub-packet (tag 0x12: 2 samples × 8 ch, 14-bit LSB-first).
   */
  class AthenaEmulator {
    counter = 0;
    index = 0;
    streaming = false;
    sent = 0;
    readonly device: FakeBluetoothDevice;
    private readonly data: FakeCharacteristic;
    constructor(name = 'MuseS-Athena-77') {
      this.device = new FakeBluetoothDevice(`fake-${name}`, name);
      this.device.addService('0000fe8d-0000-1000-8000-00805f9b34fb', [museChar(0x01), museChar(0x13)]);
      this.data = this.device.characteristic(museChar(0x13));
      this.device.onWrite = (_uuid, bytes) => {
        const cmd = String.fromCharCode(...bytes.subarray(1, bytes.length - 1));
        if (cmd.startsWith('dc')) this.streaming = true;
        else if (cmd === 'h') this.streaming = false;
      };
    }
    /** Builds and sends `n` notifications; returns the time (ms) each dispatch took, synchronously. */
    pump(n: number, durations?: number[]): void {
      if (!this.streaming || !this.device.gatt.connected) return;
      for (let k = 0; k < n; k++) {
        const b = new Uint8Array(42);
        b[0] = 42;
        b[1] = this.counter & 0xff;
        const ticks = this.sent * 256;
        b[2] = ticks & 0xff;
        b[3] = (ticks >>> 8) & 0xff;
        b[4] = (ticks >>> 16) & 0xff;
        b[5] = (ticks >>> 24) & 0xff;
        b[9] = 0x12;
        b[10] = this.index & 0xff;
        for (let v = 0; v < 16; v++) {
          const s = this.sent * 2 + (v >> 3);
          const value = Math.round(8192 + (30 * Math.sin((2 * Math.PI * 10 * s) / 256) + 5 * (v & 7)) / (1450 / 16383)) & 0x3fff;
          for (let i = 0; i < 14; i++) {
            const bit = v * 14 + i;
            if ((value >>> i) & 1) b[14 + (bit >> 3)] |= 1 << (bit & 7);
          }
        }
        this.counter = (this.counter + 1) & 0xff;
        this.index = (this.index + 1) & 0xff;
        this.sent++;
        const t0 = performance.now();
        this.data.notify(b);
        if (durations) durations.push(performance.now() - t0);
      }
    }
  }

  return { FakeBluetooth, FakeBluetoothDevice, FakeCharacteristic, MuseEmulator, AthenaEmulator, museChar };
}

export type FakeBluetoothKit = ReturnType<typeof fakeBluetoothKit>;

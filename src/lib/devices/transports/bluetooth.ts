// Web Bluetooth transport: GATT connect, the descriptor's service and characteristics,
// startNotifications, command writes, and reconnection through device.gatt.connect() (no chooser
// needed for a device already granted). Runs on the page (Web Bluetooth is not in workers).
// Hot path: the notification handler hands a view of the value to the listener; no copies.
import { normalizeUuid } from '../drivers/decoder.ts';
import { classifyDomError, TransportError, type DataListener, type DeviceTransport } from './types.ts';

/** The slice of Web Bluetooth we use (lib.dom has no Web Bluetooth types). */
export interface GattCharacteristicLike extends EventTarget {
  readonly uuid: string;
  readonly value?: DataView | null;
  readonly properties?: { writeWithoutResponse?: boolean; write?: boolean; notify?: boolean };
  startNotifications(): Promise<unknown>;
  stopNotifications?(): Promise<unknown>;
  readValue(): Promise<DataView>;
  writeValue?(v: BufferSource): Promise<void>;
  writeValueWithResponse?(v: BufferSource): Promise<void>;
  writeValueWithoutResponse?(v: BufferSource): Promise<void>;
}
export interface GattServiceLike {
  readonly uuid: string;
  getCharacteristic(uuid: string): Promise<GattCharacteristicLike>;
}
export interface GattServerLike {
  readonly connected: boolean;
  connect(): Promise<GattServerLike>;
  disconnect(): void;
  getPrimaryService(uuid: string): Promise<GattServiceLike>;
}
export interface BluetoothDeviceLike extends EventTarget {
  readonly id: string;
  readonly name?: string | null;
  readonly gatt?: GattServerLike | null;
}
export interface BluetoothLike {
  requestDevice(options: { filters?: { namePrefix?: string; services?: string[] }[]; optionalServices?: string[]; acceptAllDevices?: boolean }): Promise<BluetoothDeviceLike>;
  getAvailability?(): Promise<boolean>;
  getDevices?(): Promise<BluetoothDeviceLike[]>;
}

export function webBluetooth(): BluetoothLike | undefined {
  return (globalThis.navigator as unknown as { bluetooth?: BluetoothLike } | undefined)?.bluetooth;
}

export interface BluetoothPlan {
  serviceUuid: string;
  /** Characteristics to subscribe to (notifications). */
  notify: string[];
  /** Characteristic commands are written to; undefined = the device takes no commands. */
  write?: string;
}

export class BluetoothTransport implements DeviceTransport {
  readonly kind = 'bluetooth' as const;
  onDisconnect: ((reason: string) => void) | null = null;
  private server: GattServerLike | null = null;
  private service: GattServiceLike | null = null;
  private writer: GattCharacteristicLike | null = null;
  private readonly subscribed: GattCharacteristicLike[] = [];
  private readonly handlers: Array<(ev: Event) => void> = [];
  private isOpen = false;
  private closing = false;
  private readonly onGattDisconnected = () => this.lost('the Bluetooth connection was lost');

  constructor(
    private readonly device: BluetoothDeviceLike,
    private readonly plan: BluetoothPlan,
  ) {}

  get label(): string {
    return this.device.name ?? `Bluetooth ${this.device.id}`;
  }

  get connected(): boolean {
    return this.isOpen;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    this.closing = false;
    const gatt = this.device.gatt;
    if (!gatt) throw new TransportError('wrong-device', `${this.label} has no GATT server`);
    try {
      this.server = await gatt.connect();
    } catch (e) {
      throw classifyDomError(e, `connecting to ${this.label}`);
    }
    this.device.addEventListener('gattserverdisconnected', this.onGattDisconnected);
    try {
      this.service = await this.server.getPrimaryService(this.plan.serviceUuid);
    } catch (e) {
      this.server.disconnect();
      this.device.removeEventListener('gattserverdisconnected', this.onGattDisconnected);
      const err = classifyDomError(e, `${this.label}`);
      if (err.code === 'permission-denied' || err.code === 'not-found' || err.code === 'io')
        throw new TransportError('wrong-device', `${this.label} does not offer service ${this.plan.serviceUuid} (${(e as Error).message}): is it the device you selected?`);
      throw err;
    }
    this.writer = this.plan.write ? await this.characteristic(this.plan.write) : null;
    this.isOpen = true;
  }

  private async characteristic(uuid: string): Promise<GattCharacteristicLike> {
    try {
      return await (this.service as GattServiceLike).getCharacteristic(uuid);
    } catch (e) {
      throw new TransportError('unknown-firmware', `${this.label} lacks characteristic ${uuid} (${(e as Error).message}): unknown firmware?`);
    }
  }

  async listen(onData: DataListener): Promise<void> {
    if (!this.isOpen) throw new TransportError('io', `${this.label} is not connected`);
    for (const uuid of this.plan.notify) {
      const ch = await this.characteristic(uuid);
      const id = normalizeUuid(uuid);
      // Hot path: one view per notification, no copy (decoders consume it synchronously).
      const handler = (ev: Event) => {
        const v = (ev.target as GattCharacteristicLike).value;
        if (v) onData(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), id);
      };
      ch.addEventListener('characteristicvaluechanged', handler);
      this.subscribed.push(ch);
      this.handlers.push(handler);
      try {
        await ch.startNotifications();
      } catch (e) {
        throw classifyDomError(e, `subscribing to ${uuid}`);
      }
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    const w = this.writer;
    if (!this.isOpen || !w) throw new TransportError('io', `${this.label}: no command characteristic`);
    try {
      if (w.writeValueWithoutResponse && w.properties?.writeWithoutResponse !== false) await w.writeValueWithoutResponse(bytes as BufferSource);
      else if (w.writeValueWithResponse) await w.writeValueWithResponse(bytes as BufferSource);
      else if (w.writeValue) await w.writeValue(bytes as BufferSource);
    } catch (e) {
      throw classifyDomError(e, `writing to ${this.label}`);
    }
  }

  async readCharacteristic(uuid: string, serviceUuid?: string): Promise<Uint8Array> {
    if (!this.server) throw new TransportError('io', `${this.label} is not connected`);
    const svc = serviceUuid ? await this.server.getPrimaryService(serviceUuid) : (this.service as GattServiceLike);
    const v = await (await svc.getCharacteristic(uuid)).readValue();
    return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  }

  private detach(): void {
    this.subscribed.forEach((ch, i) => ch.removeEventListener('characteristicvaluechanged', this.handlers[i]));
    this.subscribed.length = 0;
    this.handlers.length = 0;
    this.device.removeEventListener('gattserverdisconnected', this.onGattDisconnected);
  }

  async close(): Promise<void> {
    this.closing = true;
    const wasOpen = this.isOpen;
    this.isOpen = false;
    for (const ch of this.subscribed) if (wasOpen) await ch.stopNotifications?.().catch(() => {});
    this.detach();
    if (this.server?.connected) this.server.disconnect();
    this.server = this.service = this.writer = null;
  }

  private lost(reason: string): void {
    if (!this.isOpen || this.closing) return;
    this.isOpen = false;
    this.detach();
    this.onDisconnect?.(reason);
  }
}

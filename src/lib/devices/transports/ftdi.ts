// WebUSB transport for FTDI USB-serial chips (the OpenBCI Cyton dongle's FT231X), for Android
// Chrome where Web Serial is missing: vendor control transfers for reset, baud-rate divisor, line
// settings, modem control and latency timer, then bulk IN reads with the two modem-status bytes
// stripped from every max-packet-sized USB packet. Runs on the page or in a worker. Protocol facts
// (request numbers, divisor encoding) from the Linux ftdi_sio driver and libftdi headers, read as
// a specification. Hot path: `stripModemStatus` (one copy per transfer).
import type { SerialFacts } from '../descriptor.ts';
import { classifyDomError, TransportError, type DataListener, type DeviceTransport } from './types.ts';

/** FTDI vendor requests (bmRequestType vendor | device, host→device). */
export const FTDI_REQUEST = { reset: 0x00, modemCtrl: 0x01, flowCtrl: 0x02, baudRate: 0x03, data: 0x04, latencyTimer: 0x09 } as const;
export const FTDI_RESET_SIO = 0;
export const FTDI_PURGE_RX = 1;
export const FTDI_PURGE_TX = 2;
/** DTR and RTS high: value = (mask << 8) | state. */
export const FTDI_DTR_RTS_ON = 0x0303;
/** Base clock of the BM/R/X family baud generator, Hz (48 MHz / 16). */
export const FTDI_BASE_CLOCK_HZ = 3_000_000;
/** Sub-integer divisor codes for 0/8 … 7/8 (bits 14–16 of the divisor). */
const FRACTION_CODE = [0, 3, 2, 4, 1, 5, 6, 7];

/**
 * The (wValue, wIndex) pair of SET_BAUDRATE for a BM/R/X chip: divisor = 3 MHz / baud in eighths,
 * integer part in bits 0–13, the eighth code in bits 14–16 (bit 16 goes to wIndex).
 * 115200 → divisor 26 + 0/8 → value 0x001A, index 0.
 */
export function ftdiBaudDivisor(baudRate: number): { value: number; index: number; actualBaudRate: number } {
  if (!(baudRate > 0)) throw new TransportError('io', `invalid baud rate ${baudRate}`);
  const eighths = Math.round((FTDI_BASE_CLOCK_HZ * 8) / baudRate);
  let divisor: number;
  if (eighths <= 8) divisor = 0; // 3 Mbaud
  else if (eighths <= 12) divisor = 1; // 2 Mbaud (the chip's special case)
  else divisor = (eighths >> 3) | (FRACTION_CODE[eighths & 7] << 14);
  const actual = eighths <= 8 ? FTDI_BASE_CLOCK_HZ : eighths <= 12 ? 2_000_000 : (FTDI_BASE_CLOCK_HZ * 8) / ((eighths >> 3) * 8 + (eighths & 7));
  return { value: divisor & 0xffff, index: (divisor >> 16) & 0xffff, actualBaudRate: actual };
}

/** SET_DATA value: data bits | parity << 8 | stop bits << 11 (0 = 1 stop bit, 2 = 2 stop bits). */
export function ftdiLineValue(f: Pick<SerialFacts, 'dataBits' | 'parity' | 'stopBits'>): number {
  const parity = f.parity === 'odd' ? 1 : f.parity === 'even' ? 2 : 0;
  const stop = f.stopBits === 2 ? 2 : 0;
  return f.dataBits | (parity << 8) | (stop << 11);
}

/**
 * Payload bytes of one bulk IN transfer: every `packetSize` bytes start with two modem-status
 * bytes. `out` must hold at least `data.length` bytes; returns the payload length written.
 */
export function stripModemStatus(data: Uint8Array, packetSize: number, out: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < data.length; p += packetSize) {
    const end = Math.min(p + packetSize, data.length);
    for (let i = p + 2; i < end; i++) out[n++] = data[i];
  }
  return n;
}

/** The slice of WebUSB we use. */
export interface UsbEndpointLike {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: string;
  packetSize: number;
}
export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null;
  readonly productName?: string | null;
  readonly opened: boolean;
  readonly configuration: { interfaces: { interfaceNumber: number; alternate: { endpoints: UsbEndpointLike[] } }[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(n: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  controlTransferOut(setup: { requestType: 'vendor'; recipient: 'device'; request: number; value: number; index: number }, data?: BufferSource): Promise<{ status: string }>;
  transferIn(endpoint: number, length: number): Promise<{ status: string; data?: DataView }>;
  transferOut(endpoint: number, data: BufferSource): Promise<{ status: string }>;
}
export interface UsbLike extends EventTarget {
  getDevices(): Promise<UsbDeviceLike[]>;
  requestDevice(options: { filters: { vendorId?: number; productId?: number }[] }): Promise<UsbDeviceLike>;
}

export function webUsb(): UsbLike | undefined {
  return (globalThis.navigator as unknown as { usb?: UsbLike } | undefined)?.usb;
}

export class FtdiTransport implements DeviceTransport {
  readonly kind = 'usb' as const;
  onDisconnect: ((reason: string) => void) | null = null;
  private device: UsbDeviceLike;
  private inEp = 1;
  private outEp = 2;
  private packetSize = 64;
  private isOpen = false;
  private closing = false;
  private loop: Promise<void> | null = null;
  private readonly onUsbDisconnect = (ev: Event) => {
    if ((ev as Event & { device?: UsbDeviceLike }).device === this.device) this.lost('the USB device was unplugged');
  };

  constructor(
    private readonly usb: UsbLike,
    device: UsbDeviceLike,
    private readonly facts: SerialFacts,
    /** Latency timer in ms (FTDI default 16; lower = smaller, more frequent transfers). */
    private readonly latencyMs = 2,
  ) {
    this.device = device;
  }

  get label(): string {
    return `${this.device.productName ?? 'FTDI'} ${this.device.vendorId.toString(16).padStart(4, '0')}:${this.device.productId.toString(16).padStart(4, '0')}`;
  }

  get connected(): boolean {
    return this.isOpen;
  }

  private async control(request: number, value: number, index = 0): Promise<void> {
    const r = await this.device.controlTransferOut({ requestType: 'vendor', recipient: 'device', request, value, index });
    if (r.status !== 'ok') throw new TransportError('io', `${this.label}: control request ${request} answered ${r.status}`);
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    this.closing = false;
    const devices = await this.usb.getDevices();
    const same = (d: UsbDeviceLike) => d.vendorId === this.device.vendorId && d.productId === this.device.productId && (d.serialNumber ?? '') === (this.device.serialNumber ?? '');
    const dev = devices.includes(this.device) ? this.device : devices.find(same);
    if (!dev) throw new TransportError('not-found', `${this.label} is not plugged in (or its permission was revoked)`);
    this.device = dev;
    try {
      if (!dev.opened) await dev.open();
      if (!dev.configuration) await dev.selectConfiguration(1);
      const iface = dev.configuration?.interfaces[0];
      if (!iface) throw new TransportError('wrong-device', `${this.label} has no USB interface`);
      await dev.claimInterface(iface.interfaceNumber);
      for (const ep of iface.alternate.endpoints) {
        if (ep.type !== 'bulk') continue;
        if (ep.direction === 'in') {
          this.inEp = ep.endpointNumber;
          this.packetSize = ep.packetSize || 64;
        } else this.outEp = ep.endpointNumber;
      }
      await this.control(FTDI_REQUEST.reset, FTDI_RESET_SIO);
      const baud = ftdiBaudDivisor(this.facts.baudRate);
      await this.control(FTDI_REQUEST.baudRate, baud.value, baud.index);
      await this.control(FTDI_REQUEST.data, ftdiLineValue(this.facts));
      await this.control(FTDI_REQUEST.flowCtrl, 0);
      await this.control(FTDI_REQUEST.modemCtrl, FTDI_DTR_RTS_ON);
      await this.control(FTDI_REQUEST.latencyTimer, this.latencyMs);
      await this.control(FTDI_REQUEST.reset, FTDI_PURGE_RX);
      await this.control(FTDI_REQUEST.reset, FTDI_PURGE_TX);
    } catch (e) {
      await dev.close().catch(() => {});
      throw classifyDomError(e, `opening ${this.label}`);
    }
    this.usb.addEventListener('disconnect', this.onUsbDisconnect);
    this.isOpen = true;
  }

  async listen(onData: DataListener): Promise<void> {
    if (!this.isOpen) throw new TransportError('io', `${this.label} is not open`);
    const transferBytes = this.packetSize * 8;
    const payload = new Uint8Array(transferBytes);
    this.loop = (async () => {
      try {
        while (this.isOpen) {
          const r = await this.device.transferIn(this.inEp, transferBytes);
          if (r.status !== 'ok' || !r.data) continue;
          const raw = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
          const n = stripModemStatus(raw, this.packetSize, payload);
          if (n > 0) onData(payload.slice(0, n));
        }
      } catch (e) {
        if (!this.closing) this.lost(`USB read failed: ${(e as Error).message}`);
      }
    })();
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new TransportError('io', `${this.label} is not open`);
    try {
      await this.device.transferOut(this.outEp, bytes as BufferSource);
    } catch (e) {
      throw classifyDomError(e, `writing to ${this.label}`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const was = this.isOpen;
    this.isOpen = false;
    this.usb.removeEventListener('disconnect', this.onUsbDisconnect);
    if (was) await this.device.close().catch(() => {});
    await this.loop?.catch(() => {});
    this.loop = null;
  }

  private lost(reason: string): void {
    if (!this.isOpen || this.closing) return;
    this.isOpen = false;
    this.usb.removeEventListener('disconnect', this.onUsbDisconnect);
    void this.device.close().catch(() => {});
    this.onDisconnect?.(reason);
  }
}

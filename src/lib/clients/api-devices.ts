// The device seam on the engine-host page: a DeviceHub over the boards this browser already has
// permission for (navigator.serial.getPorts(), navigator.usb.getDevices(),
// navigator.bluetooth.getDevices()), playback of library recordings, and the port that serves the
// hub to the API worker (core/rpc.ts). Main thread only (Web Bluetooth is not available in workers);
// no Svelte. Never calls requestPort / requestDevice: those need a click on the Devices page.
import { DEVICE_DESCRIPTORS } from '../devices/drivers/registry';
import { driverSpec } from '../devices/transports/driver-specs';
import { BluetoothTransport, webBluetooth, type BluetoothLike } from '../devices/transports/bluetooth';
import { FtdiTransport, webUsb, type UsbLike } from '../devices/transports/ftdi';
import { SerialTransport, webSerial, type SerialLike } from '../devices/transports/serial';
import { servePort } from '../core/rpc';
import { publishMarkers } from '../core/markers';
import { DeviceHub, type GrantedTransport, type HardwareAccess, type PlaybackSource } from '../api/device-hub';
import type { DeviceBackend } from '../api/device-backend';
import { openDb } from '../storage/db';
import { loadRecordingData } from '../storage/library';

export interface BrowserDeviceApis {
  serial?: SerialLike;
  usb?: UsbLike;
  bluetooth?: BluetoothLike;
}

/**
 * The boards the browser lets this page open without a chooser, one entry per (port, board kind).
 * Each getPorts / getDevices is a trip to the browser process, so the answer is reused for
 * `cacheMs` (default 1 s) unless a port or USB device comes or goes.
 */
export function browserHardware(apis: BrowserDeviceApis = { serial: webSerial(), usb: webUsb(), bluetooth: webBluetooth() }, cacheMs = 1000): HardwareAccess {
  let cached: { atMs: number; list: Promise<GrantedTransport[]> } | null = null;
  const forget = () => (cached = null);
  for (const t of [apis.serial, apis.usb] as (EventTarget | undefined)[]) {
    t?.addEventListener?.('connect', forget);
    t?.addEventListener?.('disconnect', forget);
  }
  return {
    granted(): Promise<GrantedTransport[]> {
      const now = performance.now();
      if (!cached || now - cached.atMs >= cacheMs) cached = { atMs: now, list: scan() };
      return cached.list;
    },
  };

  async function scan(): Promise<GrantedTransport[]> {
    const out: GrantedTransport[] = [];
    const serial = apis.serial;
    if (serial) {
      for (const port of await serial.getPorts().catch(() => [])) {
        const info = port.getInfo();
        for (const d of DEVICE_DESCRIPTORS) {
          if (!d.serial || !d.transports.includes('serial')) continue;
          const match = d.serial.usbFilters.some((f) => f.usbVendorId === info.usbVendorId && (f.usbProductId === undefined || f.usbProductId === info.usbProductId));
          if (!match) continue;
          const facts = d.serial;
          out.push({ kind: d.id, transportKind: 'serial', label: new SerialTransport(serial, port, facts).label, open: () => new SerialTransport(serial, port, facts) });
        }
      }
    }
    const usb = apis.usb;
    if (usb) {
      for (const dev of await usb.getDevices().catch(() => [])) {
        for (const d of DEVICE_DESCRIPTORS) {
          if (!d.serial || !d.transports.includes('usb')) continue;
          if (!d.serial.usbFilters.some((f) => f.usbVendorId === dev.vendorId && (f.usbProductId === undefined || f.usbProductId === dev.productId))) continue;
          const facts = d.serial;
          out.push({ kind: d.id, transportKind: 'usb', label: dev.productName ?? 'USB device', open: () => new FtdiTransport(usb, dev, facts) });
        }
      }
    }
    const bt = apis.bluetooth;
    if (bt?.getDevices) {
      for (const dev of await bt.getDevices().catch(() => [])) {
        const name = dev.name ?? '';
        for (const d of DEVICE_DESCRIPTORS) {
          const facts = d.bluetooth;
          if (!facts || !facts.namePrefixes.some((p) => name.startsWith(p))) continue;
          const spec = driverSpec(d.id, 'bluetooth');
          out.push({ kind: d.id, transportKind: 'bluetooth', label: name || dev.id, open: () => new BluetoothTransport(dev, { serviceUuid: facts.serviceUuid, notify: spec.bluetooth?.notify ?? [], write: spec.bluetooth?.write }) });
        }
      }
    }
    return out;
  }
}

/** A library recording's first regular stream, for a playback device. */
async function playbackSource(recordingId: string): Promise<PlaybackSource> {
  const data = await loadRecordingData(openDb(), recordingId);
  const s = data.streams.find((x) => x.descriptor.sampleRateHz > 0) ?? data.streams[0];
  if (!s) throw new Error('the recording has no stream');
  return { stream: s.descriptor, samples: s.samples, timestampsMs: s.timestampsMs, markers: data.markers };
}

let hub: DeviceHub | null = null;

/** This page's device hub (one per tab). */
export function apiDevices(): DeviceHub {
  hub ??= new DeviceHub({ hardware: browserHardware(), playback: playbackSource, onMarkers: (m) => publishMarkers(m, 'playback') });
  return hub;
}

/** Serves the device seam on `port` (the API worker's end calls it through core/rpc.ts). */
export function serveApiDevices(port: MessagePort, devices: DeviceBackend = apiDevices()): () => void {
  return servePort(port, devices);
}

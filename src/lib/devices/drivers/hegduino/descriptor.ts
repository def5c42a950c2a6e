// HEGduino (hemoencephalography, a single-site two-wavelength optical sensor on an ESP32): device
// facts as data. Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §5.
import type { DeviceDescriptor } from '../../descriptor.ts';

/** Nordic UART Service as used by the HEGduino firmware (BLE_API.h). */
export const HEG_NUS_SERVICE = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
export const HEG_NUS_RX = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
export const HEG_NUS_TX = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';

/** ASCII commands (Device_README.txt). */
export const HEG_COMMANDS = {
  start: 't',
  stop: 'f',
  /** Short lines `red|ir|ratio` that fit a 20-byte notification (Android Web Bluetooth). */
  fastOutput: 'o',
  resetSensor: 's',
  reset: 'R',
  sleep: 'S',
  passiveIr: 'p',
  ambientCancel: 'L',
} as const;

/**
 * LED wavelengths: 660 nm red and 850 nm near-infrared are the usual HEG pair; the HEGduino
 * sources read here name only "red" and "IR" — UNVERIFIED wavelengths.
 */
export const HEG_RED_NM = 660;
export const HEG_IR_NM = 850;

export const HEGDUINO: DeviceDescriptor = {
  id: 'hegduino',
  name: 'HEGduino',
  manufacturer: 'joshbrew / OpenBCI',
  transports: ['serial', 'bluetooth'],
  // ESP32 boards use CP210x/CH340 bridges (vendor class): Web Serial works on desktop, the WebUSB
  // polyfill does not (DEVICES.md §0). No VID filter: several bridge chips are in use.
  serial: { baudRate: 115200, dataBits: 8, stopBits: 1, parity: 'none', usbFilters: [] },
  bluetooth: {
    namePrefixes: ['HEG'],
    serviceUuid: HEG_NUS_SERVICE,
    optionalServiceUuids: [],
    characteristics: { rx: HEG_NUS_RX, tx: HEG_NUS_TX },
  },
  streams: [
    {
      id: 'hegduino.optical',
      name: 'HEG raw optical intensities',
      kind: 'fnirs',
      // Irregular (~19–40 lines/s); full-mode lines carry the device's own µs time.
      sampleRateHz: 0,
      channels: [
        { label: 'red', unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: HEG_RED_NM, sourceIndex: 1, detectorIndex: 1 },
        { label: 'ir', unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: HEG_IR_NM, sourceIndex: 1, detectorIndex: 1 },
        { label: 'ratio', unit: 'a.u.', type: 'MISC' },
        { label: 'ambient', unit: 'a.u.', type: 'MISC' },
      ],
    },
  ],
  commands: HEG_COMMANDS,
  sources: ['joshbrew/HEG_ESP32 Device Drivers/HEG_WIFI_BLE_Lolin32 (HEG.h updateHEG, BLE_API.h), Device_README.txt', 'joshbrew/device-decoder src/devices/hegduino.ts'],
};

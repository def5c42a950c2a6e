// Muse 2016 / Muse 2 / Muse S (classic protocol, one characteristic per sensor): device facts as
// data. Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §3.1.
import type { StreamDescriptor } from '../../../core/stream.ts';
import type { BluetoothFacts, DeviceDescriptor, DeviceId } from '../../descriptor.ts';

export const MUSE_SERVICE = '0000fe8d-0000-1000-8000-00805f9b34fb';

/** `273e00XX-4c4d-454d-96be-f03bac821358`. */
export function museCharacteristic(xx: number): string {
  return `273e00${xx.toString(16).padStart(2, '0')}-4c4d-454d-96be-f03bac821358`;
}

export const MUSE_CHARACTERISTICS = {
  control: museCharacteristic(0x01),
  eeg_tp9: museCharacteristic(0x03),
  eeg_af7: museCharacteristic(0x04),
  eeg_af8: museCharacteristic(0x05),
  eeg_tp10: museCharacteristic(0x06),
  eeg_aux: museCharacteristic(0x07),
  gyroscope: museCharacteristic(0x09),
  accelerometer: museCharacteristic(0x0a),
  telemetry: museCharacteristic(0x0b),
  ppg_1: museCharacteristic(0x0f),
  ppg_2: museCharacteristic(0x10),
  ppg_3: museCharacteristic(0x11),
} as const;

/** Control tokens, written with encodeMuseCommand (muse-js; muse-lsl; BrainFlow muse.cpp). */
export const MUSE_COMMANDS = {
  halt: 'h',
  status: 's',
  start: 'd',
  deviceInfo: 'v1',
  keepAlive: 'k',
  reset: '*1',
  /** 5 EEG incl. aux + IMU. */
  preset20: 'p20',
  /** 4 EEG + IMU (default). */
  preset21: 'p21',
  /** 5 EEG + IMU + PPG (not on Muse 2016). */
  preset50: 'p50',
  /** 4 EEG + IMU + PPG (not on Muse 2016). */
  preset51: 'p51',
} as const;

export const MUSE_BLUETOOTH: BluetoothFacts = {
  namePrefixes: ['Muse'],
  serviceUuid: MUSE_SERVICE,
  optionalServiceUuids: [],
  characteristics: MUSE_CHARACTERISTICS,
};

export function museClassicStreams(id: DeviceId): StreamDescriptor[] {
  return [
    {
      id: `${id}.eeg`,
      name: 'Muse EEG',
      kind: 'eeg',
      sampleRateHz: 256,
      // Presets without the aux electrode produce the first four channels only.
      channels: ['TP9', 'AF7', 'AF8', 'TP10', 'AUX'].map((label) => ({ label, unit: 'uV', type: 'EEG' })),
    },
    {
      id: `${id}.accel`,
      name: 'Muse accelerometer',
      kind: 'aux',
      sampleRateHz: 52,
      channels: ['x', 'y', 'z'].map((a) => ({ label: `accel_${a}`, unit: 'g', type: 'ACCEL' })),
    },
    {
      id: `${id}.gyro`,
      name: 'Muse gyroscope',
      kind: 'aux',
      sampleRateHz: 52,
      channels: ['x', 'y', 'z'].map((a) => ({ label: `gyro_${a}`, unit: 'deg/s', type: 'GYRO' })),
    },
    {
      id: `${id}.ppg`,
      name: 'Muse PPG',
      kind: 'aux',
      sampleRateHz: 64,
      // muse-js names for the Muse 2; the Muse S mapping is unconfirmed (muse-js README).
      channels: ['ambient', 'infrared', 'red'].map((l) => ({ label: `ppg_${l}`, unit: 'a.u.', type: 'PPG' })),
    },
    {
      id: `${id}.telemetry`,
      name: 'Muse telemetry',
      kind: 'aux',
      sampleRateHz: 0,
      channels: [
        { label: 'battery', unit: '%', type: 'MISC' },
        { label: 'fuel_gauge', unit: 'mV', type: 'MISC' },
        { label: 'temperature', unit: 'a.u.', type: 'MISC' },
      ],
    },
  ];
}

export const MUSE_SOURCES = [
  'urish/muse-js src/lib/muse-parse.ts, src/muse.ts',
  'alexandrebarachant/muse-lsl muselsl/constants.py, muse.py',
  'brainflow-dev/brainflow src/board_controller/muse/muse.cpp, inc/muse_constants.h',
];

export const MUSE_2: DeviceDescriptor = {
  id: 'muse-2',
  name: 'Muse 2',
  manufacturer: 'InteraXon',
  transports: ['bluetooth'],
  bluetooth: MUSE_BLUETOOTH,
  streams: museClassicStreams('muse-2'),
  commands: MUSE_COMMANDS,
  sources: MUSE_SOURCES,
};

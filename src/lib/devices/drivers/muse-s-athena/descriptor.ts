// Muse S Athena (new Muse protocol: one data characteristic carrying typed sub-packets): device
// facts as data. Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §3.2.
import type { ChannelInfo } from '../../../core/stream.ts';
import type { DeviceDescriptor } from '../../descriptor.ts';
import { MUSE_SERVICE, museCharacteristic } from '../muse-2/descriptor.ts';

export const ATHENA_CONTROL = museCharacteristic(0x01);
/** Presence of this characteristic tells Athena from the classic Muse. */
export const ATHENA_DATA = museCharacteristic(0x13);
/** Present on some firmware; BrainFlow skips it when it does not notify. */
export const ATHENA_DATA_2 = museCharacteristic(0x14);

/** Start sequence (BrainFlow muse_athena.cpp; OpenMuse waits ~200 ms between commands):
 * `v6`, `s`, `h`, preset, `s`; then `dc001` twice, `L1`, `s`; stop with `h`. */
export const ATHENA_COMMANDS = {
  version: 'v6',
  status: 's',
  halt: 'h',
  /** 8 EEG + IMU + battery + 16 low-power optics channels (BrainFlow default). */
  presetDefault: 'p1041',
  startData: 'dc001',
  lowLatency: 'L1',
} as const;

export const ATHENA_EEG_LABELS = ['TP9', 'AF7', 'AF8', 'TP10', 'AUX_1', 'AUX_2', 'AUX_3', 'AUX_4'];

/**
 * Optical channels in OpenMuse's order (OpenMuse/decode.py OPTICS_CHANNELS): sites LO/RO/LI/RI
 * (left/right, outer/inner) × NIR (730 nm), IR (850 nm), RED, AMB (ambient). The wavelengths come
 * from OpenMuse's docstring and a Dart client seen in code search — UNVERIFIED against
 * InteraXon; RED has no published wavelength (we leave it unset).
 */
export const ATHENA_OPTICS_LABELS = [
  'LO_NIR', 'RO_NIR', 'LO_IR', 'RO_IR', 'LI_NIR', 'RI_NIR', 'LI_IR', 'RI_IR',
  'LO_RED', 'RO_RED', 'LO_AMB', 'RO_AMB', 'LI_RED', 'RI_RED', 'LI_AMB', 'RI_AMB',
];

/** Which of the 16 optics channels a 4/8/16-channel optics packet carries (OpenMuse _OPTICS_INDEXES). */
export const ATHENA_OPTICS_INDEXES: Record<number, number[]> = {
  4: [4, 5, 6, 7],
  8: [0, 1, 2, 3, 4, 5, 6, 7],
  16: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
};

function opticsChannel(label: string): ChannelInfo {
  const kind = label.slice(3);
  const c: ChannelInfo = { label: `optics_${label}`, unit: 'a.u.', type: kind === 'AMB' ? 'MISC' : 'NIRS_CW_AMPLITUDE' };
  if (kind === 'NIR') c.wavelengthNm = 730;
  if (kind === 'IR') c.wavelengthNm = 850;
  return c;
}

export const MUSE_S_ATHENA: DeviceDescriptor = {
  id: 'muse-s-athena',
  name: 'Muse S Athena',
  manufacturer: 'InteraXon',
  transports: ['bluetooth'],
  bluetooth: {
    namePrefixes: ['Muse'],
    serviceUuid: MUSE_SERVICE,
    optionalServiceUuids: [],
    characteristics: { control: ATHENA_CONTROL, data: ATHENA_DATA, data2: ATHENA_DATA_2 },
  },
  streams: [
    // 4-channel presets (tag 0x11) produce the first four channels only.
    { id: 'muse-s-athena.eeg', name: 'Athena EEG', kind: 'eeg', sampleRateHz: 256, channels: ATHENA_EEG_LABELS.map((label) => ({ label, unit: 'uV', type: 'EEG' })) },
    {
      id: 'muse-s-athena.imu',
      name: 'Athena accelerometer + gyroscope',
      kind: 'aux',
      sampleRateHz: 52,
      channels: [
        ...['x', 'y', 'z'].map((a) => ({ label: `accel_${a}`, unit: 'g', type: 'ACCEL' })),
        ...['x', 'y', 'z'].map((a) => ({ label: `gyro_${a}`, unit: 'deg/s', type: 'GYRO' })),
      ],
    },
    // 4/8-channel optics presets produce the subset ATHENA_OPTICS_INDEXES[n], in that order.
    { id: 'muse-s-athena.optics', name: 'Athena optics (raw intensities)', kind: 'fnirs', sampleRateHz: 64, channels: ATHENA_OPTICS_LABELS.map(opticsChannel) },
    { id: 'muse-s-athena.battery', name: 'Athena battery', kind: 'aux', sampleRateHz: 0, channels: [{ label: 'battery', unit: '%', type: 'MISC' }] },
  ],
  commands: ATHENA_COMMANDS,
  sources: [
    'brainflow-dev/brainflow src/board_controller/muse/muse_athena.cpp, inc/muse_athena_constants.h',
    'DominiqueMakowski/OpenMuse OpenMuse/decode.py (+ tests/test_data captures)',
    'fuji3to4/muse-jsx src/lib/athena-parser.ts',
  ],
};

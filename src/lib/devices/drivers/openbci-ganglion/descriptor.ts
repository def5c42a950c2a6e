// OpenBCI Ganglion (4 channels, MCP3912) over native BLE (Simblee): device facts as data.
// Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §2.
import type { DeviceDescriptor } from '../../descriptor.ts';

export const GANGLION_SERVICE = '0000fe84-0000-1000-8000-00805f9b34fb';
export const GANGLION_RECEIVE = '2d30c082-f39f-4ce6-923f-3484ea480596';
export const GANGLION_SEND = '2d30c083-f39f-4ce6-923f-3484ea480596';
export const GANGLION_DISCONNECT = '2d30c084-f39f-4ce6-923f-3484ea480596';
export const DEVICE_INFORMATION_SERVICE = '0000180a-0000-1000-8000-00805f9b34fb';
export const SOFTWARE_REVISION = '00002a28-0000-1000-8000-00805f9b34fb';

/** Commands (Definitions_Ganglion.h; Ganglion SDK doc). Synthetic square wave is `[`/`]` as in the
 * firmware; @openbci/utilities' `t`/`T` do not match it (DEVICES.md §8). */
export const GANGLION_COMMANDS = {
  start: 'b',
  stop: 's',
  softReset: 'v',
  registers: '?',
  accelOn: 'n',
  accelOff: 'N',
  impedanceStart: 'z',
  impedanceStop: 'Z',
  syntheticOn: '[',
  syntheticOff: ']',
  channelsOff: '1234',
  channelsOn: '!@#$',
  sampleRate200Hz: '~7',
} as const;

/**
 * Firmware generation from the Device Information software revision (fw 3 reports "3.0.2") or,
 * failing that, the advertised name ("Ganglion 1.3 (XXXX)" is fw 3). Default: 3, like BrainFlow
 * since 5.21.
 */
export function ganglionFirmware(softwareRevision?: string, name?: string): 2 | 3 {
  if (softwareRevision && softwareRevision.trim().length > 0) return softwareRevision.trim()[0] === '3' ? 3 : 2;
  if (name !== undefined) return name.includes('Ganglion 1.3') ? 3 : 2;
  return 3;
}

export const GANGLION: DeviceDescriptor = {
  id: 'openbci-ganglion',
  name: 'OpenBCI Ganglion',
  manufacturer: 'OpenBCI',
  transports: ['bluetooth'],
  bluetooth: {
    namePrefixes: ['Ganglion', 'Simblee'],
    serviceUuid: GANGLION_SERVICE,
    optionalServiceUuids: [DEVICE_INFORMATION_SERVICE],
    characteristics: { receive: GANGLION_RECEIVE, send: GANGLION_SEND, disconnect: GANGLION_DISCONNECT, softwareRevision: SOFTWARE_REVISION },
  },
  streams: [
    {
      id: 'openbci-ganglion.eeg',
      name: 'Ganglion EEG',
      kind: 'eeg',
      sampleRateHz: 200,
      channels: [1, 2, 3, 4].map((i) => ({ label: `EXG${i}`, unit: 'uV', type: 'EEG' })),
    },
    {
      id: 'openbci-ganglion.accel',
      name: 'Ganglion accelerometer',
      kind: 'aux',
      sampleRateHz: 10,
      channels: ['x', 'y', 'z'].map((a) => ({ label: `accel_${a}`, unit: 'g', type: 'ACCEL' })),
    },
    {
      id: 'openbci-ganglion.impedance',
      name: 'Ganglion impedance',
      kind: 'aux',
      sampleRateHz: 0,
      channels: ['EXG1', 'EXG2', 'EXG3', 'EXG4', 'REF'].map((l) => ({ label: `${l}_impedance`, unit: 'ohm', type: 'MISC' })),
    },
  ],
  commands: GANGLION_COMMANDS,
  sources: [
    'OpenBCI/Documentation docs/03Ganglion/08-Ganglion_Data_Format.md',
    'OpenBCI/OpenBCI_Ganglion_Library (fw 3.0.2 and tag v2.0.1) compressData18/19',
    'brainflow-dev/brainflow src/board_controller/openbci/ganglion_native.cpp',
    'openbci-archive/OpenBCI_JavaScript_Utilities (decompressDeltas18Bit/19Bit, convert18bitAsInt32)',
  ],
};

// OpenBCI Cyton + Daisy (16 channels) over the USB dongle: device facts as data. Same serial
// settings and command set as the Cyton; 250 packets/s carry alternating halves → 125 Hz frames.
// Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §1.4.
import type { DeviceDescriptor } from '../../descriptor.ts';
import { ACCEL_CHANNELS, ANALOG_CHANNELS, CYTON_COMMANDS, CYTON_SERIAL, exgChannels } from '../openbci-cyton/descriptor.ts';

export const CYTON_DAISY: DeviceDescriptor = {
  id: 'openbci-cyton-daisy',
  name: 'OpenBCI Cyton + Daisy',
  manufacturer: 'OpenBCI',
  transports: ['serial', 'usb'],
  serial: CYTON_SERIAL,
  streams: [
    { id: 'openbci-cyton-daisy.eeg', name: 'Cyton+Daisy EEG', kind: 'eeg', sampleRateHz: 125, channels: exgChannels(16) },
    { id: 'openbci-cyton-daisy.aux', name: 'Cyton+Daisy accelerometer', kind: 'aux', sampleRateHz: 125, channels: ACCEL_CHANNELS },
    { id: 'openbci-cyton-daisy.analog', name: 'Cyton+Daisy raw aux', kind: 'aux', sampleRateHz: 125, channels: ANALOG_CHANNELS },
  ],
  commands: CYTON_COMMANDS,
  sources: [
    'OpenBCI/Documentation docs/02Cyton/03-Cyton_Data_Format.md ("16 Channel Data with Daisy Module")',
    'OpenBCI/OpenBCI_32bit_Library ADS_writeChannelDataAvgDaisy',
    'brainflow-dev/brainflow src/board_controller/openbci/cyton_daisy.cpp',
  ],
};

// OpenBCI Cyton (8 channels, ADS1299) over the RFduino USB dongle (FTDI FT231X): device facts
// as data. Runs anywhere; pure data. Protocol notes: shared/docs/DEVICES.md §1.
import type { ChannelInfo } from '../../../core/stream.ts';
import type { DeviceDescriptor, SerialFacts } from '../../descriptor.ts';

/** FTDI FT-X family VID:PID of the OpenBCI dongle; 115200 8-N-1 (OpenBCI_Radios_Definitions.h). */
export const CYTON_SERIAL: SerialFacts = {
  baudRate: 115200,
  dataBits: 8,
  stopBits: 1,
  parity: 'none',
  usbFilters: [{ usbVendorId: 0x0403, usbProductId: 0x6015 }],
};

/**
 * Command strings (OpenBCI/Documentation docs/02Cyton/04-OpenBCI_Cyton_SDK.md;
 * OpenBCI_32bit_Library_Definitions.h). The dongle/board end every text reply with `$$$`.
 */
export const CYTON_COMMANDS = {
  start: 'b',
  stop: 's',
  softReset: 'v',
  defaults: 'd',
  reportDefaults: 'D',
  version: 'V',
  registers: '?',
  mode8Channels: 'c',
  mode16Channels: 'C',
  timeStampOn: '<',
  timeStampOff: '>',
  sampleRateQuery: '~~',
  boardModeQuery: '//',
  channelsOff: '12345678',
  channelsOn: '!@#$%^&*',
  daisyChannelsOff: 'qwertyui',
  daisyChannelsOn: 'QWERTYUI',
  testSignalGround: '0',
  testSignal1xSlow: '-',
  testSignal1xFast: '=',
  testSignalDc: 'p',
  testSignal2xSlow: '[',
  testSignal2xFast: ']',
  endOfTransmission: '$$$',
  /** Dongle radio commands: 0xF0 + code (switch PC-side baud, then reply `Success: …$$$`). */
  dongleBaud115200: '\xF0\x05',
  dongleBaud230400: '\xF0\x06',
  dongleBaud921600: '\xF0\x0A',
  dongleSystemStatus: '\xF0\x07',
} as const;

/** `~N` sample-rate codes (Hz). The dongle carries at most 250 SPS. */
export const CYTON_SAMPLE_RATE_CODES: Record<string, number> = { '0': 16000, '1': 8000, '2': 4000, '3': 2000, '4': 1000, '5': 500, '6': 250 };

/** A reply that means the dongle answered but the board is off (OpenBCI_Radios.cpp). */
export function isBoardOffReply(reply: string): boolean {
  return reply.startsWith('Failure');
}

export function exgChannels(count: number): ChannelInfo[] {
  const out: ChannelInfo[] = [];
  for (let i = 1; i <= count; i++) out.push({ label: `EXG${i}`, unit: 'uV', type: 'EEG' });
  return out;
}

export const ACCEL_CHANNELS: ChannelInfo[] = [
  { label: 'accel_x', unit: 'g', type: 'ACCEL' },
  { label: 'accel_y', unit: 'g', type: 'ACCEL' },
  { label: 'accel_z', unit: 'g', type: 'ACCEL' },
];

export const ANALOG_CHANNELS: ChannelInfo[] = [
  { label: 'aux_1', unit: 'a.u.', type: 'MISC' },
  { label: 'aux_2', unit: 'a.u.', type: 'MISC' },
  { label: 'aux_3', unit: 'a.u.', type: 'MISC' },
];

export const CYTON: DeviceDescriptor = {
  id: 'openbci-cyton',
  name: 'OpenBCI Cyton',
  manufacturer: 'OpenBCI',
  transports: ['serial', 'usb'],
  serial: CYTON_SERIAL,
  streams: [
    { id: 'openbci-cyton.eeg', name: 'Cyton EEG', kind: 'eeg', sampleRateHz: 250, channels: exgChannels(8) },
    // One frame per EEG packet; the LIS3DH updates at 25 Hz and the last value is held between.
    { id: 'openbci-cyton.aux', name: 'Cyton accelerometer', kind: 'aux', sampleRateHz: 250, channels: ACCEL_CHANNELS },
    // Footers 0xC1/0xC5/0xC6 (analog/digital board modes): three raw 16-bit values per packet.
    { id: 'openbci-cyton.analog', name: 'Cyton raw aux', kind: 'aux', sampleRateHz: 250, channels: ANALOG_CHANNELS },
  ],
  commands: CYTON_COMMANDS,
  sources: [
    'OpenBCI/Documentation docs/02Cyton/03-Cyton_Data_Format.md',
    'OpenBCI/OpenBCI_32bit_Library OpenBCI_32bit_Library.cpp (v3.1.2)',
    'OpenBCI/OpenBCI_Radios OpenBCI_Radios.cpp',
    'brainflow-dev/brainflow src/board_controller/openbci/cyton.cpp, inc/openbci_gain_tracker.h',
  ],
};

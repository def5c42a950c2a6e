// Muse S (classic firmware): same BLE protocol as the Muse 2 (DEVICES.md §3.1); the Muse S Athena
// is a different protocol (drivers/muse-s-athena). Runs anywhere; pure data.
import type { DeviceDescriptor } from '../../descriptor.ts';
import { MUSE_BLUETOOTH, MUSE_COMMANDS, MUSE_SOURCES, museClassicStreams } from '../muse-2/descriptor.ts';

export const MUSE_S: DeviceDescriptor = {
  id: 'muse-s',
  name: 'Muse S',
  manufacturer: 'InteraXon',
  transports: ['bluetooth'],
  bluetooth: MUSE_BLUETOOTH,
  streams: museClassicStreams('muse-s'),
  commands: { ...MUSE_COMMANDS, preset60: 'p60', preset61: 'p61' },
  sources: MUSE_SOURCES,
};

// Blueberry fNIRS glasses (BLE): device facts as data. Runs anywhere; pure data.
// Protocol notes: shared/docs/DEVICES.md §5 (blueberryxtech/BlueberryPython Blueberry.py;
// joshbrew/device-decoder src/devices/blueberry.ts, blueberry2.ts).
import type { ChannelInfo } from '../../../core/stream.ts';
import type { DeviceDescriptor } from '../../descriptor.ts';

export const BLUEBERRY_SERVICE = '0f0e0d0c-0b0a-0908-0706-050403020100';
export const BLUEBERRY_COMMAND = '1f1e1d1c-1b1a-1918-1716-151413121110';
export const BLUEBERRY_SHORT_PATH = '2f2e2d2c-2b2a-2928-2726-252423222120';
export const BLUEBERRY_LONG_PATH = '3f3e3d3c-3b3a-3938-3736-353433323130';
/** Newer firmware data characteristics (device-decoder blueberry2.ts). */
export const BLUEBERRY2_LONG_PATH = '4f4e4d4c-4b6a-6968-6766-656463426160';
export const BLUEBERRY2_SHORT_PATH = '4f4e4d4c-4b5a-5958-5756-555453425150';

/** Channel order in each packet: 740, 880, 850 nm (Blueberry.py). */
export const BLUEBERRY_WAVELENGTHS_NM = [740, 880, 850];

function channels(path: 'long' | 'short', detector: number): ChannelInfo[] {
  return BLUEBERRY_WAVELENGTHS_NM.map((nm) => ({
    label: `${path}_${nm}`,
    unit: 'a.u.',
    type: 'NIRS_CW_AMPLITUDE',
    wavelengthNm: nm,
    sourceIndex: 1,
    detectorIndex: detector,
  }));
}

export const BLUEBERRY: DeviceDescriptor = {
  id: 'blueberry',
  name: 'Blueberry fNIRS glasses',
  manufacturer: 'Blueberry X Technologies',
  transports: ['bluetooth'],
  bluetooth: {
    namePrefixes: ['blueberry', 'Blueberry'],
    serviceUuid: BLUEBERRY_SERVICE,
    optionalServiceUuids: [],
    characteristics: {
      command: BLUEBERRY_COMMAND,
      shortPath: BLUEBERRY_SHORT_PATH,
      longPath: BLUEBERRY_LONG_PATH,
      longPath2: BLUEBERRY2_LONG_PATH,
      shortPath2: BLUEBERRY2_SHORT_PATH,
    },
  },
  streams: [
    // ~40 SPS nominal (device-decoder); the timing fit follows the actual rate.
    { id: 'blueberry.long', name: 'Blueberry long path', kind: 'fnirs', sampleRateHz: 40, channels: channels('long', 1) },
    { id: 'blueberry.short', name: 'Blueberry short path', kind: 'fnirs', sampleRateHz: 40, channels: channels('short', 2) },
  ],
  commands: {},
  sources: ['blueberryxtech/BlueberryPython Blueberry.py', 'joshbrew/device-decoder src/devices/blueberry.ts, blueberry2.ts'],
};

// Pure decoder for Blueberry fNIRS notifications (long- and short-path characteristics).
// Runs in the page (Web Bluetooth) and Node. Never throws from `push`.
//
// Packet, big-endian (Blueberry.py; device-decoder blueberry.ts reads getInt32 at 2/6/10):
//   [0] packet index u8 (wraps 255 → 0: used for gap detection)  [1] sample index u8
//   [2..5] int32 740 nm  [6..9] int32 880 nm  [10..13] int32 850 nm
//   "big" long-path packets (≥ 21 bytes) append pulse/HR/temperature fields, not decoded here.
import { CounterTracker } from '../../timing/counter-tracker.ts';
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, normalizeUuid, type DecodedBlock, type DeviceDecoder } from '../decoder.ts';
import { BLUEBERRY2_LONG_PATH, BLUEBERRY2_SHORT_PATH, BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH } from './descriptor.ts';

export class BlueberryDecoder implements DeviceDecoder {
  readonly deviceId = 'blueberry';
  readonly input = 'notifications' as const;
  readonly counters = emptyCounters();
  private readonly collector = new BlockCollector();
  private readonly trackers = { long: new CounterTracker(256, 1, 8), short: new CounterTracker(256, 1, 8) };
  private readonly frame = new Float64Array(3);

  push(payload: Uint8Array, characteristicUuid = ''): DecodedBlock[] {
    const u = normalizeUuid(characteristicUuid);
    const path = u === BLUEBERRY_LONG_PATH || u === BLUEBERRY2_LONG_PATH ? 'long' : u === BLUEBERRY_SHORT_PATH || u === BLUEBERRY2_SHORT_PATH ? 'short' : null;
    if (path === null) {
      this.counters.unknownPackets++;
      return [];
    }
    if (payload.length < 14) {
      this.counters.malformedPackets++;
      return [];
    }
    const step = this.trackers[path].next(payload[0]);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return [];
    }
    this.counters.packets++;
    if (step.lostFrames > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += step.lostFrames;
    }
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    this.frame[0] = dv.getInt32(2);
    this.frame[1] = dv.getInt32(6);
    this.frame[2] = dv.getInt32(10);
    this.collector.frame(`blueberry.${path}`, 3, step.sampleIndex, step.lostFrames, this.frame);
    return this.collector.finish();
  }

  flush(): DecodedBlock[] {
    return this.collector.finish();
  }
}

/** Encode one notification (tests, benchmarks). */
export function encodeBlueberryPacket(packetIndex: number, sampleIndex: number, values: [number, number, number]): Uint8Array {
  const b = new Uint8Array(14);
  const dv = new DataView(b.buffer);
  b[0] = packetIndex & 0xff;
  b[1] = sampleIndex & 0xff;
  dv.setInt32(2, values[0]);
  dv.setInt32(6, values[1]);
  dv.setInt32(10, values[2]);
  return b;
}

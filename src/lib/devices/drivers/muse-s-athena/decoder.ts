// Pure decoder for Muse S Athena data notifications (characteristic 273e0013): each notification
// holds one or more length-prefixed packets of typed sub-packets (EEG, IMU, optics, battery).
// Runs in the page (Web Bluetooth) and Node. Never throws from `push`; a damaged packet is
// counted and skipped by its length byte, an unknown tag ends that packet (its length is unknown).
//
// Packet (DEVICES.md §3.2; BrainFlow muse_athena.cpp; OpenMuse decode.py), checked here against
// OpenMuse captures: every packet of data_p1041 / test_battery_* walks to its exact length.
//   [0] packet length (whole packet)  [1] packet counter u8  [2..5] device time u32 LE, 256 kHz
//   [6..8] ?  [9] tag of first payload  [10] its per-tag index u8  [11..13] ?  → 14-byte header
//   first payload (no sub-header), then sub-packets [tag][index u8][3 × ?][data] to the end.
// Tags and data lengths:
//   0x11 EEG 4 ch × 4 samples (28)   0x12 EEG 8 ch × 2 samples (28): 14-bit LSB-first, sample-major
//   0x34 optics 4 × 3 (30)  0x35 optics 8 × 2 (40)  0x36 optics 16 × 1 (40): 20-bit LSB-first
//   0x47 acc+gyro 6 × 3 (36) int16 LE   0x53 DRL/REF (24, skipped)
//   0x98 battery (20)  0x88 battery/status (variable, rest of packet): uint16 LE in bytes 0–1
// Choices where references disagree (DEVICES.md §8):
//   EEG µV = (n − 8192) × 1450/16383, centred like BrainFlow (since 9097190); OpenMuse and
//   muse-jsx do not subtract 8192, which leaves a constant ≈ +725 µV offset on every channel.
//   Battery % = raw / 256 like OpenMuse: its captures are named after the expected value and
//   match /256 exactly (test_battery_58_27: raw 14918 → 58.27); BrainFlow's /512 is off by 2×.
//   Optics are raw 20-bit counts like BrainFlow (a.u.); OpenMuse's /32768 is arbitrary too.
//   Gyro °/s = n × −0.0074768 (negative sign in both BrainFlow and OpenMuse).
import { CounterTracker } from '../../timing/counter-tracker.ts';
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, type DecodedBlock, type DeviceDecoder } from '../decoder.ts';
import { ATHENA_EEG_LABELS, ATHENA_OPTICS_INDEXES, ATHENA_OPTICS_LABELS } from './descriptor.ts';

export const ATHENA_HEADER_BYTES = 14;
export const ATHENA_SUBHEADER_BYTES = 5;
export const ATHENA_EEG_UV_PER_COUNT = 1450 / 16383;
export const ATHENA_EEG_OFFSET = 8192;
export const ATHENA_ACCEL_G_PER_COUNT = 0.0000610352;
export const ATHENA_GYRO_DPS_PER_COUNT = -0.0074768;
export const ATHENA_BATTERY_DIVISOR = 256;

interface TagInfo {
  bytes: number;
  kind: 'eeg' | 'optics' | 'imu' | 'drl' | 'battery';
  channels: number;
  samples: number;
}

/** Fixed data lengths per tag (0x88 is variable and handled apart). */
export const ATHENA_TAGS: Record<number, TagInfo> = {
  0x11: { bytes: 28, kind: 'eeg', channels: 4, samples: 4 },
  0x12: { bytes: 28, kind: 'eeg', channels: 8, samples: 2 },
  0x34: { bytes: 30, kind: 'optics', channels: 4, samples: 3 },
  0x35: { bytes: 40, kind: 'optics', channels: 8, samples: 2 },
  0x36: { bytes: 40, kind: 'optics', channels: 16, samples: 1 },
  0x47: { bytes: 36, kind: 'imu', channels: 6, samples: 3 },
  0x53: { bytes: 24, kind: 'drl', channels: 0, samples: 0 },
  0x98: { bytes: 20, kind: 'battery', channels: 1, samples: 1 },
};

/** Read value `n` of `width` bits packed LSB-first from `start` (bytes beyond `end` read as 0). */
export function readBitsLsbFirst(b: Uint8Array, start: number, end: number, n: number, width: number): number {
  const bit = n * width;
  let o = start + (bit >> 3);
  let w = 0;
  for (let k = 0; k < 4; k++, o++) if (o < end) w |= b[o] << (8 * k);
  return ((w >>> (bit & 7)) & ((1 << width) - 1)) >>> 0;
}

export class MuseAthenaDecoder implements DeviceDecoder {
  readonly deviceId = 'muse-s-athena';
  readonly input = 'notifications' as const;
  readonly counters = emptyCounters();
  private readonly collector = new BlockCollector();
  private readonly packetCounter = new CounterTracker(256, 1);
  /** Notifications (packets) lost, from the packet counter byte. */
  lostPackets = 0;
  private readonly trackers = new Map<number, CounterTracker>();
  private readonly values = new Float64Array(48);
  private readonly battery = new Float64Array(1);
  private batteryIndex = 0;

  /** Channel labels of a decoded block (EEG and optics packets carry subsets). */
  labelsFor(streamId: string, channelCount: number): string[] | undefined {
    if (streamId === 'muse-s-athena.eeg') return ATHENA_EEG_LABELS.slice(0, channelCount);
    if (streamId === 'muse-s-athena.optics') return (ATHENA_OPTICS_INDEXES[channelCount] ?? []).map((i) => `optics_${ATHENA_OPTICS_LABELS[i]}`);
    return undefined;
  }

  flush(): DecodedBlock[] {
    return this.collector.finish();
  }

  push(payload: Uint8Array): DecodedBlock[] {
    let off = 0;
    while (off < payload.length) {
      const len = payload[off];
      if (len < ATHENA_HEADER_BYTES || off + len > payload.length) {
        // Cannot trust this length: drop the rest of the notification (the next one starts clean).
        this.counters.malformedPackets++;
        this.counters.resyncs++;
        this.counters.bytesDiscarded += payload.length - off;
        break;
      }
      this.packet(payload, off, off + len);
      off += len;
    }
    return this.collector.finish();
  }

  private packet(b: Uint8Array, start: number, end: number): void {
    const step = this.packetCounter.next(b[start + 1]);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return;
    }
    this.lostPackets += step.lostSteps;
    this.counters.packets++;
    let tag = b[start + 9];
    let index = b[start + 10];
    let o = start + ATHENA_HEADER_BYTES;
    for (;;) {
      if (tag === 0x88) {
        // Variable length: battery in the first two bytes, the rest is not understood.
        if (end - o >= 2) this.emitBattery(b[o] | (b[o + 1] << 8));
        return;
      }
      const info = ATHENA_TAGS[tag];
      if (info === undefined) {
        this.counters.unknownPackets++;
        return;
      }
      if (o + info.bytes > end) {
        this.counters.malformedPackets++;
        return;
      }
      this.subPacket(tag, info, index, b, o);
      o += info.bytes;
      if (o >= end) return;
      if (o + ATHENA_SUBHEADER_BYTES > end) {
        this.counters.malformedPackets++;
        return;
      }
      tag = b[o];
      index = b[o + 1];
      o += ATHENA_SUBHEADER_BYTES;
    }
  }

  private tracker(tag: number, framesPerStep: number): CounterTracker {
    let t = this.trackers.get(tag);
    if (!t) {
      t = new CounterTracker(256, framesPerStep);
      this.trackers.set(tag, t);
    }
    return t;
  }

  private subPacket(tag: number, info: TagInfo, index: number, b: Uint8Array, o: number): void {
    if (info.kind === 'drl') return;
    if (info.kind === 'battery') {
      this.emitBattery(b[o] | (b[o + 1] << 8));
      return;
    }
    const step = this.tracker(tag, info.samples).next(index);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return;
    }
    if (step.lostFrames > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += step.lostFrames;
    }
    const n = info.channels * info.samples;
    const v = this.values;
    const end = o + info.bytes;
    let streamId: string;
    if (info.kind === 'eeg') {
      streamId = 'muse-s-athena.eeg';
      for (let i = 0; i < n; i++) v[i] = (readBitsLsbFirst(b, o, end, i, 14) - ATHENA_EEG_OFFSET) * ATHENA_EEG_UV_PER_COUNT;
    } else if (info.kind === 'optics') {
      streamId = 'muse-s-athena.optics';
      for (let i = 0; i < n; i++) v[i] = readBitsLsbFirst(b, o, end, i, 20);
    } else {
      streamId = 'muse-s-athena.imu';
      for (let i = 0; i < n; i++) {
        const raw = ((b[o + 2 * i + 1] << 24) | (b[o + 2 * i] << 16)) >> 16;
        v[i] = raw * (i % 6 < 3 ? ATHENA_ACCEL_G_PER_COUNT : ATHENA_GYRO_DPS_PER_COUNT);
      }
    }
    this.collector.frames(streamId, info.channels, step.sampleIndex, step.lostFrames, v, info.samples);
  }

  private emitBattery(raw: number): void {
    this.battery[0] = raw / ATHENA_BATTERY_DIVISOR;
    this.collector.frame('muse-s-athena.battery', 1, this.batteryIndex++, 0, this.battery);
  }
}

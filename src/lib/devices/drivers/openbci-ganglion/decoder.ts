// Pure decoder for Ganglion BLE notifications (20 bytes: packet id + 19 payload bytes), firmware
// 2 (delta compression + raw re-seed packets) and firmware 3 (shifted absolute values).
// Runs in the page (Web Bluetooth is main-thread only) and in Node. Never throws from `push`.
// Hot path: one notification per call, no allocation besides the output block.
//
// Layout (DEVICES.md §2.3; Ganglion Data Format doc; firmware compressData18/19):
//   id 0 (fw 2)          raw: 4 × int24 BE at bytes 1–12
//   id 1–100 / 0–99      18-bit fields, 2 samples × 4 channels, MSB-first from byte 1; byte 19 accel
//   id 101–200 / 100–199 19-bit fields, 2 samples × 4 channels, MSB-first from byte 1
//   id 201–205           impedance of ch1–4 / ref: ASCII decimal ohms ending with 'Z'
//   id 206 / 207         ASCII message part / last part
// Each field's bit 0 is overwritten by the sign bit. Decoding of that sign follows OpenBCI's own
// JS utilities (convert18bitAsInt32: sign-extend with ones when bit 0 is set, keep the value
// otherwise), which reproduces the published doc vectors exactly; BrainFlow's
// cast_ganglion_bits_to_int32 additionally clears bit 0 of negatives (−4 instead of −3): a 1-count
// difference per field, below the quantisation both already accept (DEVICES.md §8).
// fw 2: field = previous − current (per channel), so current = previous − field; a raw packet
// re-seeds once per 201 samples. fw 3: field = sample >> 6 (18-bit) or >> 5 (19-bit), so the
// sample is field << 6 / << 5 (BrainFlow decompress_firmware_3).
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, type DecodedBlock, type DeviceDecoder } from '../decoder.ts';

/** µV per count: 1.2 V / (2^23 − 1) / 1.5 / 51 × 1e6 (@openbci/utilities; BrainFlow eeg_scale). The
 * doc's formula multiplies instead of dividing — a typo. */
export const GANGLION_UV_PER_COUNT = (1.2 / 8388607 / 1.5 / 51) * 1e6;
/** g per count of the 8-bit accel byte: 0.016 (@openbci/utilities, BrainFlow); the doc's 0.032 is
 * inconsistent with both. */
export const GANGLION_ACCEL_G_PER_COUNT = 0.016;

/** Read `width` bits MSB-first starting at bit `bit` of `b` (from byte 0). */
export function readBitsMsbFirst(b: Uint8Array, start: number, bit: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) {
    const pos = bit + i;
    v = (v << 1) | ((b[start + (pos >> 3)] >> (7 - (pos & 7))) & 1);
  }
  return v >>> 0;
}

/** A field whose bit 0 carries the sign (OpenBCI JS convention, see header). */
export function signedFromLsbSign(v: number, width: number): number {
  return v & 1 ? v | (-1 << width) : v;
}

/** The 8 fields (2 samples × 4 channels) of an 18/19-bit packet, sign-decoded. */
export function unpackFields(b: Uint8Array, width: 18 | 19, out: Int32Array): void {
  for (let n = 0; n < 8; n++) out[n] = signedFromLsbSign(readBitsMsbFirst(b, 1, n * width, width), width);
}

export interface GanglionDecoderOptions {
  firmware: 2 | 3;
  /**
   * fw 2 only: emit NaN until the first raw packet (and again after a loss until the next raw
   * packet), because deltas applied to an unknown base are wrong. Default true. Set false to
   * start from zeros like @openbci/utilities (used to check its published vector).
   */
  requireRawBase?: boolean;
}

export class GanglionDecoder implements DeviceDecoder {
  readonly deviceId = 'openbci-ganglion';
  readonly input = 'notifications' as const;
  readonly counters = emptyCounters();
  readonly firmware: 2 | 3;
  /** ASCII messages (ids 206/207) received so far. */
  readonly messages: string[] = [];
  private readonly requireRawBase: boolean;
  private readonly collector = new BlockCollector();
  private readonly fields = new Int32Array(8);
  private readonly last = new Float64Array(4);
  private baseValid: boolean;
  private readonly frame = new Float64Array(4);
  private readonly accel = new Float64Array([NaN, NaN, NaN]);
  private readonly impedance = new Float64Array([NaN, NaN, NaN, NaN, NaN]);
  private impedanceIndex = 0;
  private message = '';
  /** Position of the last packet in the id cycle (fw 2: 0..100, fw 3: 0..99), −1 = none yet. */
  private lastPos = -1;
  private nextIndex = 0;
  private lastAccelIndex = -1;

  constructor(opts: GanglionDecoderOptions) {
    this.firmware = opts.firmware;
    this.requireRawBase = opts.requireRawBase ?? true;
    this.baseValid = !this.requireRawBase || opts.firmware === 3;
  }

  flush(): DecodedBlock[] {
    return this.collector.finish();
  }

  push(payload: Uint8Array): DecodedBlock[] {
    if (payload.length < 1) {
      this.counters.malformedPackets++;
      return [];
    }
    const id = payload[0];
    if (id >= 201 && id <= 205) this.impedancePacket(payload, id);
    else if (id === 206 || id === 207) this.messagePacket(payload, id);
    else if (payload.length < 20) this.counters.malformedPackets++;
    else if (this.firmware === 2) this.fw2(payload, id);
    else this.fw3(payload, id);
    return this.collector.finish();
  }

  /** Advance the id cycle; returns [sampleIndex of this packet's first frame, frames lost]. */
  private advance(pos: number, cycle: number, framesAt: (p: number) => number): [number, number] {
    let lost = 0;
    if (this.lastPos >= 0) {
      const d = (((pos - this.lastPos) % cycle) + cycle) % cycle;
      if (d === 0) return [-1, 0]; // repeated notification
      for (let k = 1; k < d; k++) lost += framesAt((this.lastPos + k) % cycle);
      if (lost > 0) {
        this.counters.gaps++;
        this.counters.lostFrames += lost;
      }
    }
    this.lastPos = pos;
    const idx = this.nextIndex + lost;
    this.nextIndex = idx + framesAt(pos);
    return [idx, lost];
  }

  private fw2(b: Uint8Array, id: number): void {
    let width: 18 | 19;
    let pos: number;
    if (id === 0) {
      const [idx, lost] = this.advance(0, 101, fw2Frames);
      if (idx < 0) return this.duplicate();
      for (let c = 0; c < 4; c++) this.last[c] = ((b[1 + 3 * c] << 24) | (b[2 + 3 * c] << 16) | (b[3 + 3 * c] << 8)) >> 8;
      this.baseValid = true;
      this.counters.packets++;
      this.emit(idx, lost, this.last);
      return;
    } else if (id <= 100) {
      width = 18;
      pos = id;
    } else if (id <= 200) {
      width = 19;
      pos = id - 100;
    } else {
      this.counters.unknownPackets++;
      return;
    }
    const [idx, lost] = this.advance(pos, 101, fw2Frames);
    if (idx < 0) return this.duplicate();
    if (lost > 0 && this.requireRawBase) this.baseValid = false;
    this.counters.packets++;
    unpackFields(b, width, this.fields);
    for (let s = 0; s < 2; s++) {
      for (let c = 0; c < 4; c++) this.last[c] -= this.fields[s * 4 + c];
      this.emit(idx + s, s === 0 ? lost : 0, this.last);
    }
    if (width === 18) this.accelByte(b, id, idx);
  }

  private fw3(b: Uint8Array, id: number): void {
    if (id > 199) {
      this.counters.unknownPackets++;
      return;
    }
    const width = id < 100 ? 18 : 19;
    const [idx, lost] = this.advance(id % 100, 100, fw3Frames);
    if (idx < 0) return this.duplicate();
    this.counters.packets++;
    unpackFields(b, width, this.fields);
    const scale = width === 18 ? 64 : 32;
    for (let s = 0; s < 2; s++) {
      for (let c = 0; c < 4; c++) this.last[c] = this.fields[s * 4 + c] * scale;
      this.emit(idx + s, s === 0 ? lost : 0, this.last);
    }
    if (width === 18) this.accelByte(b, id, idx);
  }

  private duplicate(): void {
    this.counters.malformedPackets++;
  }

  private emit(idx: number, lost: number, counts: Float64Array): void {
    for (let c = 0; c < 4; c++) this.frame[c] = this.baseValid ? counts[c] * GANGLION_UV_PER_COUNT : NaN;
    this.collector.frame('openbci-ganglion.eeg', 4, idx, lost, this.frame);
  }

  /**
   * Byte 19 of 18-bit packets: signed high byte of the LIS2DH reading. We follow the firmware
   * (updateAccelerometerData) and the doc: id % 10 = 1 → X, 2 → Y, 3 → Z. BrainFlow instead maps
   * 0 → −Z, 1 → Y, 2 → X ("swap x and z, and invert z"); we do not remap axes.
   */
  private accelByte(b: Uint8Array, id: number, eegIndex: number): void {
    const axis = (id % 10) - 1;
    if (axis < 0 || axis > 2) return;
    this.accel[axis] = ((b[19] << 24) >> 24) * GANGLION_ACCEL_G_PER_COUNT;
    if (axis !== 2) return;
    // 10 Hz: one reading per 20 EEG samples; index it on that grid so losses show as gaps.
    const idx = Math.floor(eegIndex / 20);
    if (idx <= this.lastAccelIndex) return;
    const lost = this.lastAccelIndex < 0 ? 0 : idx - this.lastAccelIndex - 1;
    this.lastAccelIndex = idx;
    this.collector.frame('openbci-ganglion.accel', 3, idx, lost, this.accel);
  }

  /** Ids 201–205: ASCII decimal ohms terminated by 'Z', e.g. `CA 31 32 30 37 5A` = ch2, 1207 Ω. */
  private impedancePacket(b: Uint8Array, id: number): void {
    let v = 0;
    let digits = 0;
    let ended = false;
    for (let i = 1; i < b.length; i++) {
      const ch = b[i];
      if (ch === 0x5a) {
        ended = true;
        break;
      }
      if (ch < 0x30 || ch > 0x39) break;
      v = v * 10 + (ch - 0x30);
      digits++;
    }
    if (!ended || digits === 0) {
      this.counters.malformedPackets++;
      return;
    }
    this.counters.packets++;
    this.impedance[id - 201] = v;
    this.collector.frame('openbci-ganglion.impedance', 5, this.impedanceIndex++, 0, this.impedance);
  }

  private messagePacket(b: Uint8Array, id: number): void {
    this.counters.packets++;
    for (let i = 1; i < b.length; i++) this.message += String.fromCharCode(b[i]);
    if (id === 207) {
      this.messages.push(this.message);
      this.message = '';
    }
  }
}

function fw2Frames(pos: number): number {
  return pos === 0 ? 1 : 2;
}

function fw3Frames(): number {
  return 2;
}

// Pure decoder for the Cyton serial stream as the PC sees it from the dongle: 33-byte packets,
// framing with resynchronisation, per-channel gain tracking (µV scale), accel/aux/time footers.
// Runs in the io worker (Web Serial read loop) and in Node. Never throws from `push`; hot path:
// one pass over the bytes, no per-byte allocation.
//
// Packet (DEVICES.md §1.3; docs/02Cyton/03-Cyton_Data_Format.md; BrainFlow cyton.cpp):
//   [0] 0xA0 | [1] counter u8 | [2..25] 8 × int24 BE | [26..31] aux | [32] footer 0xC0..0xC6
//   0xC0 accel X,Y,Z int16 BE          0xC1 3 × 16-bit raw aux BE     0xC2 user defined (skipped)
//   0xC3/0xC4 accel + time u32 BE @28  0xC5/0xC6 raw aux[0] @26 + time u32 BE @28
// The firmware writes 'A' (0x41) as header to its radio; the dongle rewrites it to 0xA0, so the
// PC never sees 0x41 (OpenBCI_Radios.cpp bufferStreamFlush). 0xC7..0xCF never come from the dongle;
// like BrainFlow (END_BYTE_MAX 0xC6) we treat them as framing errors.
import { CounterTracker } from '../../timing/counter-tracker.ts';
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, type DecodedBlock, type DecoderCounters, type DeviceDecoder } from '../decoder.ts';

export const CYTON_PACKET_BYTES = 33;
export const CYTON_HEADER = 0xa0;
export const CYTON_FOOTER_MIN = 0xc0;
export const CYTON_FOOTER_MAX = 0xc6;
/** ADS1299 gain per `x…X` gain code '0'..'6'. */
export const CYTON_GAINS = [1, 2, 4, 6, 8, 12, 24] as const;
export const CYTON_DEFAULT_GAIN = 24;
/** LIS3DH ±4 g, high resolution: 0.002 g / 2^4 per count (doc; BrainFlow accel_scale). */
export const CYTON_ACCEL_G_PER_COUNT = 0.002 / 16;

/** µV per ADC count at a gain: 4.5 V / gain / (2^23 − 1) × 1e6 (0.0223517 at gain 24). */
export function cytonUvPerCount(gain: number): number {
  return (4.5 / gain / 8388607) * 1e6;
}

/** Sign-extend a 24-bit big-endian two's complement value. */
export function int24be(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8)) >> 8;
}

export function int16be(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16)) >> 16;
}

export function uint32be(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

const CHANNEL_CHARS = '12345678QWERTYUI';

/**
 * Tracks the ADS1299 gain of each channel from the commands the driver sends, because the µV
 * scale depends on it (BrainFlow openbci_gain_tracker.h). `x CH POWER GAIN INPUT BIAS SRB2 SRB1 X`
 * sets a channel; `d` (defaults) and `v` (soft reset) put every channel back to 24.
 */
export class CytonGainTracker {
  readonly gains: number[];
  readonly uvPerCount: Float64Array;

  constructor(channelCount: number) {
    this.gains = new Array<number>(channelCount).fill(CYTON_DEFAULT_GAIN);
    this.uvPerCount = new Float64Array(channelCount).fill(cytonUvPerCount(CYTON_DEFAULT_GAIN));
  }

  /** Note a command string the driver wrote to the board (may hold several commands). */
  noteCommand(cmd: string): void {
    for (let i = 0; i < cmd.length; i++) {
      const c = cmd[i];
      if (c === 'd' || c === 'v') {
        this.setAll(CYTON_DEFAULT_GAIN);
      } else if (c === 'x' && i + 8 < cmd.length && cmd[i + 8] === 'X') {
        const ch = CHANNEL_CHARS.indexOf(cmd[i + 1]);
        const code = cmd.charCodeAt(i + 3) - 48;
        if (ch >= 0 && ch < this.gains.length && code >= 0 && code < CYTON_GAINS.length) this.set(ch, CYTON_GAINS[code]);
        i += 8;
      }
    }
  }

  set(channel: number, gain: number): void {
    this.gains[channel] = gain;
    this.uvPerCount[channel] = cytonUvPerCount(gain);
  }

  private setAll(gain: number): void {
    for (let c = 0; c < this.gains.length; c++) this.set(c, gain);
  }
}

/**
 * Finds 33-byte packets in an arbitrary byte stream. A candidate is `0xA0 … footer` with the
 * footer in 0xC0..0xC6. Payload bytes can legitimately be 0xA0/0xC0, so a candidate is accepted
 * when the next packet's 0xA0 follows it, or when it plausibly continues the stream (see
 * `plausible`: covers a good packet followed by garbage or by a damaged header). While in sync the
 * last candidate of a chunk is accepted without waiting; `flush` accepts a final candidate.
 * No checksum exists: a damaged payload byte cannot be detected, only damaged framing.
 */
export class CytonFramer {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  private locked = false;
  private lastCounter = -1;
  private lastFooter = -1;
  readonly counters: DecoderCounters;

  constructor(counters: DecoderCounters) {
    this.counters = counters;
  }

  /** Append bytes and call `onPacket(buf, offset)` for every packet found (hot path). */
  push(bytes: Uint8Array, onPacket: (buf: Uint8Array, offset: number) => void): void {
    this.append(bytes);
    this.scan(false, onPacket);
  }

  flush(onPacket: (buf: Uint8Array, offset: number) => void): void {
    this.scan(true, onPacket);
    // What is left can never become a packet.
    this.counters.bytesDiscarded += this.end - this.start;
    this.start = this.end = 0;
  }

  /**
   * Without lookahead confirmation, a candidate is still believed when it continues the stream:
   * same footer as the last packet and a counter 1..16 ahead of it (a random false candidate
   * passes with probability ≈ 1/256 · 16/256 per byte position).
   */
  private plausible(counter: number, footer: number): boolean {
    if (this.lastCounter < 0 || footer !== this.lastFooter) return false;
    const ahead = (counter - this.lastCounter) & 0xff;
    return ahead >= 1 && ahead <= 16;
  }

  private append(bytes: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + bytes.length > this.buf.length) {
      if (held + bytes.length > this.buf.length) {
        const bigger = new Uint8Array(Math.max(this.buf.length * 2, held + bytes.length));
        bigger.set(this.buf.subarray(this.start, this.end));
        this.buf = bigger;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = held;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  private scan(final: boolean, onPacket: (buf: Uint8Array, offset: number) => void): void {
    const b = this.buf;
    let p = this.start;
    const end = this.end;
    while (end - p >= CYTON_PACKET_BYTES) {
      const footer = b[p + 32];
      if (b[p] === CYTON_HEADER && footer >= CYTON_FOOTER_MIN && footer <= CYTON_FOOTER_MAX) {
        const haveNext = end - p > CYTON_PACKET_BYTES;
        let accept: boolean;
        if (haveNext && b[p + CYTON_PACKET_BYTES] === CYTON_HEADER) {
          const ahead = (b[p + 1] - this.lastCounter) & 0xff;
          if (this.lastCounter < 0 || (ahead >= 1 && ahead <= 16) || final) {
            accept = true;
          } else if (end - p >= 2 * CYTON_PACKET_BYTES) {
            // A counter jump of more than 16: real after a long loss, or a false start in
            // garbage that happens to be followed by 0xA0. Believe it only if the packet after
            // it continues from it (footer in range, counter + 1).
            const q = p + CYTON_PACKET_BYTES;
            const f2 = b[q + 32];
            accept = f2 >= CYTON_FOOTER_MIN && f2 <= CYTON_FOOTER_MAX && b[q + 1] === ((b[p + 1] + 1) & 0xff);
          } else {
            break; // wait for the next packet to tell
          }
        } else if (!haveNext && !final) {
          // Last candidate of the chunk: take it at once while in sync, unless it may be a
          // truncated packet overlapped by its successor; then wait for the confirming byte.
          if ((this.locked || this.plausible(b[p + 1], footer)) && !overlap(b, p, end)) accept = true;
          else break;
        } else {
          // Next header missing (garbage or a damaged header follows) or end of input.
          accept = (final || this.plausible(b[p + 1], footer)) && !overlap(b, p, end);
        }
        if (accept) {
          this.locked = true;
          this.lastCounter = b[p + 1];
          this.lastFooter = footer;
          this.counters.packets++;
          onPacket(b, p);
          p += CYTON_PACKET_BYTES;
          continue;
        }
      }
      // Lost framing here: count one resync per episode and slide one byte.
      if (this.locked) {
        this.locked = false;
        this.counters.resyncs++;
      }
      this.counters.bytesDiscarded++;
      p++;
    }
    this.start = p;
    if (p === end) this.start = this.end = 0;
  }
}

/**
 * Is the unconfirmed candidate at `p` overlapped by a packet starting inside it (p+1..p+32)?
 * That is the signature of a truncated packet (or of a false start in garbage) followed by a real
 * one: `0xA0, counter+1 … valid footer`, or `0xA0 … valid footer, 0xA0`. Only asked for
 * candidates the next header does not confirm; a false "yes" inside a good payload has
 * probability ≈ 31 · 7/256³ and costs that one packet.
 */
function overlap(b: Uint8Array, p: number, end: number): boolean {
  const next = (b[p + 1] + 1) & 0xff;
  const lim = Math.min(p + CYTON_PACKET_BYTES, end - 1);
  for (let j = p + 1; j < lim; j++) {
    if (b[j] !== CYTON_HEADER) continue;
    if (j + 32 >= end) {
      if (b[j + 1] === next) return true; // cannot tell yet: the caller waits or drops
      continue;
    }
    const f = b[j + 32];
    if (f < CYTON_FOOTER_MIN || f > CYTON_FOOTER_MAX) continue;
    if (b[j + 1] === next || (j + CYTON_PACKET_BYTES < end && b[j + CYTON_PACKET_BYTES] === CYTON_HEADER)) return true;
  }
  return false;
}

export interface CytonDecoderOptions {
  /** Command strings already sent (e.g. channel settings) so the gains start right. */
  commandsSent?: string[];
}

/**
 * Cyton (8-channel) decoder. Streams: `openbci-cyton.eeg` (µV), `.aux` (accel g, last value held;
 * NaN until the first reading) and `.analog` (raw aux, footers 0xC1/0xC5/0xC6).
 */
export class CytonDecoder implements DeviceDecoder {
  readonly deviceId = 'openbci-cyton';
  readonly input = 'bytes' as const;
  readonly counters = emptyCounters();
  readonly gains = new CytonGainTracker(8);
  private readonly framer = new CytonFramer(this.counters);
  private readonly tracker = new CounterTracker(256, 1);
  private readonly collector = new BlockCollector();
  private readonly eeg = new Float64Array(8);
  private readonly accel = new Float64Array([NaN, NaN, NaN]);
  private readonly analog = new Float64Array(3);
  private readonly onPacket = (b: Uint8Array, p: number) => this.packet(b, p);

  constructor(opts: CytonDecoderOptions = {}) {
    for (const c of opts.commandsSent ?? []) this.gains.noteCommand(c);
  }

  /** Tell the decoder about a command written to the board (gain changes, defaults). */
  noteCommand(cmd: string): void {
    this.gains.noteCommand(cmd);
  }

  push(bytes: Uint8Array): DecodedBlock[] {
    this.framer.push(bytes, this.onPacket);
    return this.collector.finish();
  }

  flush(): DecodedBlock[] {
    this.framer.flush(this.onPacket);
    return this.collector.finish();
  }

  private packet(b: Uint8Array, p: number): void {
    const step = this.tracker.next(b[p + 1]);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return;
    }
    if (step.lostFrames > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += step.lostFrames;
    }
    const idx = step.sampleIndex;
    const lost = step.lostFrames;
    const k = this.gains.uvPerCount;
    for (let c = 0; c < 8; c++) this.eeg[c] = int24be(b, p + 2 + 3 * c) * k[c];
    const footer = b[p + 32];
    const time = footer >= 0xc3 ? uint32be(b, p + 28) : undefined;
    this.collector.frame('openbci-cyton.eeg', 8, idx, lost, this.eeg, time);
    decodeAux(b, p, footer, this.accel, this.analog);
    if (footer === 0xc0 || footer === 0xc3 || footer === 0xc4) {
      this.collector.frame('openbci-cyton.aux', 3, idx, lost, this.accel, time);
    } else if (footer === 0xc1 || footer === 0xc5 || footer === 0xc6) {
      this.collector.frame('openbci-cyton.analog', 3, idx, lost, this.analog, time);
    }
  }
}

/**
 * Update held accel (g) / raw aux from the aux bytes of a packet at `p`.
 * 0xC0: the firmware zeroes the axes after every sent reading (LIS3DH at 25 Hz → ~1 packet in 10
 * carries data). BrainFlow keeps the previous value when X == 0, which also drops a genuine X of 0;
 * we keep the previous value only when all three axes are 0 (a real reading of exactly 0,0,0 g is
 * impossible under gravity).
 * 0xC3/0xC4: we follow firmware v3.1.2 (sendTimeWithAccelSerial) and @openbci/utilities, not the
 * doc's ASCII axis code: bytes 26–27 hold the full X/Y/Z int16 on packets whose counter % 10 is
 * 7/8/9 and zeros otherwise.
 */
export function decodeAux(b: Uint8Array, p: number, footer: number, accel: Float64Array, analog: Float64Array): void {
  if (footer === 0xc0) {
    const x = int16be(b, p + 26);
    const y = int16be(b, p + 28);
    const z = int16be(b, p + 30);
    if (x !== 0 || y !== 0 || z !== 0) {
      accel[0] = x * CYTON_ACCEL_G_PER_COUNT;
      accel[1] = y * CYTON_ACCEL_G_PER_COUNT;
      accel[2] = z * CYTON_ACCEL_G_PER_COUNT;
    }
  } else if (footer === 0xc3 || footer === 0xc4) {
    const axis = (b[p + 1] % 10) - 7;
    if (axis >= 0) accel[axis] = int16be(b, p + 26) * CYTON_ACCEL_G_PER_COUNT;
  } else if (footer === 0xc1) {
    analog[0] = (b[p + 26] << 8) | b[p + 27];
    analog[1] = (b[p + 28] << 8) | b[p + 29];
    analog[2] = (b[p + 30] << 8) | b[p + 31];
  } else if (footer === 0xc5 || footer === 0xc6) {
    analog[0] = (b[p + 26] << 8) | b[p + 27];
    analog[1] = NaN;
    analog[2] = NaN;
  }
}

// Pure decoder for the Cyton + Daisy serial stream: the same 33-byte packets as the Cyton, with
// the two ADS1299 halves alternating. Runs in the io worker and in Node; never throws from `push`.
// Hot path: no per-byte allocation.
//
// Pairing (DEVICES.md §1.4): firmware ADS_writeChannelDataAvgDaisy sends the daisy half
// (channels 9–16) on EVEN counters and the on-board half (1–8) on ODD counters, each value the
// average of two ADS samples. Like BrainFlow cyton_daisy.cpp, a frame is the even packet followed
// by the odd one (counter 2k, 2k+1 → frame k); the frame is committed on the odd packet. A frame
// missing either half is lost (counted), never filled with stale values. The very first frame is
// invalid per the doc (nothing to average with) but is passed on like BrainFlow does.
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, type DecodedBlock, type DeviceDecoder } from '../decoder.ts';
import { CytonFramer, CytonGainTracker, decodeAux, int24be, uint32be } from '../openbci-cyton/decoder.ts';

export class CytonDaisyDecoder implements DeviceDecoder {
  readonly deviceId = 'openbci-cyton-daisy';
  readonly input = 'bytes' as const;
  readonly counters = emptyCounters();
  readonly gains = new CytonGainTracker(16);
  private readonly framer = new CytonFramer(this.counters);
  private readonly collector = new BlockCollector();
  private readonly eeg = new Float64Array(16);
  private readonly accel = new Float64Array([NaN, NaN, NaN]);
  private readonly analog = new Float64Array(3);
  /** Continuous packet number of the pending daisy half (−1 = none). */
  private pendingPacket = -1;
  private lastCounter = -1;
  /** Packet counter unwrapped (mod 256 → ever increasing); even = daisy half. */
  private continuous = 0;
  private lastFrame = -1;
  /** Frame number of the first committed frame: sample index 0. */
  private frame0 = -1;
  private readonly onPacket = (b: Uint8Array, p: number) => this.packet(b, p);

  constructor(opts: { commandsSent?: string[] } = {}) {
    for (const c of opts.commandsSent ?? []) this.gains.noteCommand(c);
  }

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
    const counter = b[p + 1];
    if (this.lastCounter < 0) {
      this.continuous = counter; // even ↔ daisy half from the start
    } else {
      const d = (counter - this.lastCounter) & 0xff;
      if (d === 0) {
        this.counters.malformedPackets++; // repeated packet
        return;
      }
      this.continuous += d;
    }
    this.lastCounter = counter;
    const k = this.gains.uvPerCount;
    if ((this.continuous & 1) === 0) {
      for (let c = 0; c < 8; c++) this.eeg[8 + c] = int24be(b, p + 2 + 3 * c) * k[8 + c];
      this.pendingPacket = this.continuous;
      return;
    }
    const frame = (this.continuous - 1) / 2;
    if (this.pendingPacket !== this.continuous - 1) {
      // The daisy half of this frame is missing: the frame is lost (counted at the next commit).
      return;
    }
    this.pendingPacket = -1;
    for (let c = 0; c < 8; c++) this.eeg[c] = int24be(b, p + 2 + 3 * c) * k[c];
    if (this.frame0 < 0) this.frame0 = frame;
    const lost = this.lastFrame < 0 ? 0 : frame - this.lastFrame - 1;
    if (lost > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += lost;
    }
    this.lastFrame = frame;
    const idx = frame - this.frame0;
    const footer = b[p + 32];
    const time = footer >= 0xc3 ? uint32be(b, p + 28) : undefined;
    this.collector.frame('openbci-cyton-daisy.eeg', 16, idx, lost, this.eeg, time);
    decodeAux(b, p, footer, this.accel, this.analog);
    if (footer === 0xc0 || footer === 0xc3 || footer === 0xc4) {
      this.collector.frame('openbci-cyton-daisy.aux', 3, idx, lost, this.accel, time);
    } else if (footer === 0xc1 || footer === 0xc5 || footer === 0xc6) {
      this.collector.frame('openbci-cyton-daisy.analog', 3, idx, lost, this.analog, time);
    }
  }
}

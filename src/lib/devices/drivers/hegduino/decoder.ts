// Pure decoder for HEGduino text output, from USB serial bytes or Nordic UART notifications (the
// same text split into ≤ 20-byte pieces). Runs in the io worker (serial), the page (BLE) and Node.
// Never throws from `push`; lines that are not data (boot banner, echoed commands) are counted.
//
// Lines end with CR LF; fields are separated by '|' (HEG.h updateHEG; device-decoder):
//   full mode  µs|red|ir|ratio|ambient|velocity|acceleration   (≥ 5 fields accepted)
//   fast mode  red|ir|ratio                                      (command 'o', for 20-byte BLE)
// There is no sample counter, so losses cannot be detected; indices count decoded lines.
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, type DecodedBlock, type DeviceDecoder } from '../decoder.ts';

const MAX_LINE = 256;

export class HegduinoDecoder implements DeviceDecoder {
  readonly deviceId = 'hegduino';
  readonly counters = emptyCounters();
  /** Non-data lines seen (banner, replies), newest last; at most 50 kept. */
  readonly textLines: string[] = [];
  private readonly collector = new BlockCollector();
  private line = '';
  private index = 0;
  private readonly frame = new Float64Array(4);

  constructor(readonly input: 'bytes' | 'notifications' = 'bytes') {}

  push(payload: Uint8Array): DecodedBlock[] {
    for (let i = 0; i < payload.length; i++) {
      const c = payload[i];
      if (c === 0x0a || c === 0x0d) {
        if (this.line.length > 0) this.parse(this.line);
        this.line = '';
      } else if (this.line.length >= MAX_LINE) {
        // A line this long is not HEG output: drop it and resynchronise on the next newline.
        this.counters.resyncs++;
        this.counters.bytesDiscarded += this.line.length;
        this.line = '';
      } else {
        this.line += String.fromCharCode(c);
      }
    }
    return this.collector.finish();
  }

  flush(): DecodedBlock[] {
    if (this.line.length > 0) this.parse(this.line);
    this.line = '';
    return this.collector.finish();
  }

  private parse(text: string): void {
    const f = text.split('|');
    const nums = f.map((s) => (s.trim() === '' ? NaN : Number(s)));
    let time: number | undefined;
    if (f.length === 3 && nums.every(Number.isFinite)) {
      this.frame[0] = nums[0];
      this.frame[1] = nums[1];
      this.frame[2] = nums[2];
      this.frame[3] = NaN;
    } else if (f.length >= 5 && nums.slice(0, 5).every(Number.isFinite)) {
      time = nums[0] / 1000;
      this.frame[0] = nums[1];
      this.frame[1] = nums[2];
      this.frame[2] = nums[3];
      this.frame[3] = nums[4];
    } else {
      this.counters.unknownPackets++;
      this.textLines.push(text);
      if (this.textLines.length > 50) this.textLines.shift();
      return;
    }
    this.counters.packets++;
    this.collector.frame('hegduino.optical', 4, this.index++, 0, this.frame, time);
  }
}

/** Encode one output line (tests, benchmarks): full mode when `us` is given, else fast mode. */
export function encodeHegLine(red: number, ir: number, ratio: number, full?: { us: number; ambient: number; velocity: number; acceleration: number }): string {
  if (!full) return `${red}|${ir}|${ratio}\r\n`;
  return `${full.us}|${red}|${ir}|${ratio}|${full.ambient}|${full.velocity}|${full.acceleration}\r\n`;
}

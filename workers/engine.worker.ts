// Engine worker entry (minimal seam): reads the device ring, applies a causal band-pass and a
// notch with harmonics, writes the filtered ring. The graph engine (src/lib/engine) replaces the
// fixed chain here; the ring wiring stays. Thin: wiring plus the loop.
import { butter, concatSos, iirnotchSos, SosFilter, type Sos } from '../src/lib/dsp/index';
import type { StreamDescriptor } from '../src/lib/core/stream';
import { openSink, openSource, type FrameWriter } from './ring-endpoints';
import type { EngineEvent, EngineRequest, FilterSettings } from './protocol';
import type { RingReader } from '../src/lib/streams/ring';

const post = (e: EngineEvent) => self.postMessage(e);

/** The SOS cascade for the settings at this rate (notch harmonics up to Nyquist). */
export function designChain(f: FilterSettings, sampleRateHz: number): Sos | null {
  const parts: Sos[] = [];
  const nyquist = sampleRateHz / 2;
  if (f.bandHz) {
    const lo = f.bandHz[0];
    const hi = Math.min(f.bandHz[1], nyquist * 0.95);
    // A band that does not fit under this rate's Nyquist frequency (slow fNIRS streams) is skipped.
    if (lo < hi) parts.push(butter(4, [lo, hi], 'bandpass', sampleRateHz));
  }
  if (f.notchHz) for (let h = f.notchHz; h < nyquist * 0.98; h += f.notchHz) parts.push(iirnotchSos(h, 30, sampleRateHz));
  return parts.length ? concatSos(...parts) : null;
}

let running = false;
let filter: SosFilter | null = null;
let descriptor: StreamDescriptor | null = null;

function setFilter(f: FilterSettings): void {
  if (!descriptor) return;
  const sos = designChain(f, descriptor.sampleRateHz);
  filter = sos ? new SosFilter(sos, descriptor.channels.length, { initialState: 'step' }) : null;
}

async function loop(reader: RingReader, writer: FrameWriter): Promise<void> {
  const ch = reader.ring.channels;
  const maxFrames = 1024;
  const inS = new Float32Array(maxFrames * ch);
  const inT = new Float64Array(maxFrames);
  const outS = new Float32Array(maxFrames * ch);
  let processed = 0;
  let lastStats = 0;
  while (running) {
    const w = await reader.waitForData(250);
    if (w === 'closed') break;
    for (;;) {
      const r = reader.read(maxFrames, inS, inT);
      if (r.frames === 0) break;
      const n = r.frames * ch;
      if (filter) filter.process(inS.subarray(0, n), outS.subarray(0, n));
      else outS.set(inS.subarray(0, n));
      writer.push(outS, inT, r.frames);
      processed += r.frames;
    }
    const now = performance.now();
    if (now - lastStats > 500) {
      lastStats = now;
      post({ type: 'stats', framesProcessed: processed, droppedFrames: reader.droppedFrames, resets: filter?.nonFiniteResets ?? 0 });
    }
  }
  writer.close();
  post({ type: 'stopped' });
}

self.onmessage = (ev: MessageEvent<EngineRequest>) => {
  const m = ev.data;
  try {
    if (m.type === 'start') {
      descriptor = m.descriptor;
      setFilter(m.filter);
      running = true;
      void loop(openSource(m.source), openSink(m.sink)).catch((e) => post({ type: 'error', message: (e as Error).message }));
      post({ type: 'started' });
    } else if (m.type === 'set-filter') {
      setFilter(m.filter);
    } else if (m.type === 'stop') {
      running = false;
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};

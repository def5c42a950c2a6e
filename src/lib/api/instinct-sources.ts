// The synthetic source behind Instinct's SignalGenerator nodes: a stream-input binding (a frame
// reader) that hands the engine exactly the frames whose time has come on the shared clock, as a
// device ring that is being read as it fills would. Plain sines per channel when the node's config
// names frequencies, else the device layer's seeded EEG-like generator. Runs where the streams run.
// `read` is on the engine's hot path: no allocation.

import { nowMs } from '../core/clock';
import type { StreamDescriptor } from '../core/stream';
import { SyntheticGenerator } from '../devices/drivers/synthetic/generator';
import type { StreamInputBinding } from '../engine/index';
import type { GeneratorConfig } from './instinct-executables';

/** A reader that fell this far behind (a stalled tab) skips ahead instead of bursting. */
const MAX_BURST_MS = 1000;
/** Frames arrive in chunks this long, as from a device (the synthetic driver's default). */
const CHUNK_MS = 16;
/** Amplitude of a sine whose amplitude the config does not give. */
const DEFAULT_AMPLITUDE_UV = 10;

export function generatorBinding(cfg: GeneratorConfig, id: string, clock: () => number = nowMs): StreamInputBinding {
  const fs = cfg.sampleRateHz;
  const ch = cfg.labels.length;
  const descriptor: StreamDescriptor = {
    id,
    name: 'Instinct SignalGenerator',
    kind: 'eeg',
    sampleRateHz: fs,
    channels: cfg.labels.map((label) => ({ label, unit: 'uV', type: 'EEG' })),
  };
  const sines = cfg.frequenciesHz.length > 0;
  const eeg = sines ? null : new SyntheticGenerator({ channels: ch, sampleRateHz: fs });
  const amp = new Float64Array(ch);
  const omega = new Float64Array(ch);
  for (let c = 0; c < ch; c++) {
    amp[c] = cfg.amplitudesUv.length ? cfg.amplitudesUv[c % cfg.amplitudesUv.length] : DEFAULT_AMPLITUDE_UV;
    omega[c] = sines ? (2 * Math.PI * cfg.frequenciesHz[c % cfg.frequenciesHz.length]) / fs : 0;
  }
  const t0 = clock();
  /** Index of the next frame to hand out (frames skipped after a stall included). */
  let next = 0;
  const due = () => Math.floor(((clock() - t0) * fs) / 1000);
  return {
    descriptor,
    reader: {
      read(maxFrames, out, ts) {
        let dropped = 0;
        const now = due();
        if (now - next > (MAX_BURST_MS * fs) / 1000) {
          dropped = now - next - Math.round((MAX_BURST_MS * fs) / 1000);
          next += dropped;
        }
        const n = Math.max(0, Math.min(maxFrames, now - next));
        if (eeg) eeg.next(n, out);
        for (let f = 0; f < n; f++) {
          const k = next + f;
          if (!eeg) for (let c = 0; c < ch; c++) out[f * ch + c] = amp[c] * Math.sin(omega[c] * k);
          ts[f] = t0 + (k * 1000) / fs;
        }
        next += n;
        return { frames: n, dropped };
      },
      async waitForData(timeoutMs) {
        const untilNextMs = t0 + ((next + Math.max(1, Math.round((CHUNK_MS * fs) / 1000))) * 1000) / fs - clock();
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(timeoutMs, untilNextMs))));
      },
    },
  };
}

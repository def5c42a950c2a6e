// Test helper (any thread, but meant for specs and benches): a stretch of the synthetic fNIRS device
// rendered offline as CHANNEL-MAJOR float64 intensities with its probe distances. Allocates.
import { sourceDetectorDistances } from '../../../fnirs/index';
import { SyntheticFnirsGenerator, type SyntheticFnirsSettings } from './generator';

/** `seconds` of the generator as CHANNEL-MAJOR float64 intensities. */
export function generateFnirs(settings: SyntheticFnirsSettings, seconds: number) {
  const g = new SyntheticFnirsGenerator(settings);
  const T = Math.round(seconds * g.sampleRateHz);
  const C = g.channels.length;
  const frames = new Float32Array(T * C);
  g.next(T, frames);
  const raw = new Float64Array(C * T);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) raw[c * T + t] = frames[t * C + c];
  const distances = sourceDetectorDistances(g.channels, g.probe.sourcePositionsM, g.probe.detectorPositionsM);
  return { g, T, C, frames, raw, distances };
}

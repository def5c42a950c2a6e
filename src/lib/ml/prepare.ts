// From a recording (streams + markers, the formats/ RecordingData shape) to labelled epochs for an
// experiment: pick the EEG stream and channels, band-pass the continuous signal zero-phase the way
// MNE's `raw.filter(l, h, method='iir', iir_params=dict(order=4, ftype='butter', output='sos'))`
// does (Butterworth order 4 band-pass, sosfiltfilt with MNE's padlen) — or, with `filter: "causal"`,
// forward only from the steady state of the first sample, exactly as ml.model-predict filters the
// live stream — map markers to samples, cut windows. Runs anywhere (Node CLI, workers). Allocates a few copies of the recording: offline only.
//
// Typed structurally on core/stream types so ml does not depend on formats/; dsp/ provides the filters.
import { InputError } from '../core/errors';
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import { butter, sosfilt, sosfiltfilt, sosfiltZi, type Sos } from '../dsp';
import { concatEpochSets, extractEpochs, type EpochSet, type SampleMarker } from './epochs';
import type { ExperimentConfig } from './experiment';

export interface RecordingLike {
  streams: { descriptor: StreamDescriptor; samples: Float32Array | Float64Array; timestampsMs: Float64Array }[];
  markers: MarkerEvent[];
}

/**
 * MNE's `estimate_ringing_samples(sos)`: the impulse response is run in chunks of 1000 samples; the
 * threshold is 0.001 × the largest |h| so far; the answer is the last sample above it, counted from
 * the chunk before the first chunk with none (MNE 1.3 `mne.filter.estimate_ringing_samples`).
 */
export function mneRingingSamples(sos: Sos, maxTry = 100000): number {
  const chunk = 1000;
  const chunks = Math.ceil(maxTry / chunk);
  const nsec = sos.length / 6;
  const zi = new Float64Array(nsec * 2);
  const x = new Float64Array(chunk);
  x[0] = 1;
  let lastGood = chunk;
  let thresh = 0;
  for (let ii = 0; ii < chunks; ii++) {
    const h = sosfilt(sos, x, 1, chunk, zi);
    x[0] = 0;
    let max = 0;
    for (const v of h) max = Math.max(max, Math.abs(v));
    thresh = Math.max(0.001 * max, thresh);
    let last = -1;
    for (let i = 0; i < chunk; i++) if (Math.abs(h[i]) > thresh) last = i;
    if (last >= 0) lastGood = last;
    else return (ii - 1) * chunk + lastGood;
  }
  return maxTry;
}

/** Butterworth band-pass as MNE designs it for method='iir' (order 4 by default), with MNE's padlen. */
export function mneBandPass(bandHz: [number, number], sampleRateHz: number, order = 4): { sos: Sos; padlen: number } {
  const [lo, hi] = bandHz;
  if (!(lo > 0 && hi > lo && hi < sampleRateHz / 2)) {
    throw new InputError(`band [${lo}, ${hi}] Hz must satisfy 0 < low < high < Nyquist (${sampleRateHz / 2} Hz)`, 'experiment.band');
  }
  const sos = butter(order, [lo, hi], 'bandpass', sampleRateHz);
  return { sos, padlen: mneRingingSamples(sos) };
}

/** Index of the frame nearest to each marker time; markers outside the stream (± half a period) are dropped. */
export function markersToSamples(timestampsMs: Float64Array, sampleRateHz: number, markers: MarkerEvent[]): SampleMarker[] {
  const n = timestampsMs.length;
  if (n === 0) return [];
  const halfMs = 500 / sampleRateHz;
  const out: SampleMarker[] = [];
  for (const m of markers) {
    const t = m.timestampMs;
    if (t < timestampsMs[0] - halfMs || t > timestampsMs[n - 1] + halfMs) continue;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (timestampsMs[mid] <= t) lo = mid;
      else hi = mid;
    }
    const best = Math.abs(timestampsMs[hi] - t) < Math.abs(timestampsMs[lo] - t) ? hi : lo;
    out.push({ sample: best, value: m.value });
  }
  return out;
}

/**
 * Epochs of one recording for an experiment. Channels: `cfg.channels` by label, else every channel
 * of type EEG (all channels if none is typed EEG). Each recording is filtered on its own (MNE
 * filters each run separately too). Values stay in the file's unit (µV for EDF and Muse).
 */
export function epochsFromRecording(rec: RecordingLike, cfg: ExperimentConfig, source = 'recording'): { epochs: EpochSet; skipped: number } {
  const stream = rec.streams.find((s) => s.descriptor.kind === 'eeg') ?? rec.streams[0];
  if (!stream) throw new InputError('has no sample stream', source);
  const d = stream.descriptor;
  const fs = d.sampleRateHz;
  if (!(fs > 0)) throw new InputError(`stream "${d.id}" has no regular sample rate`, source);
  const labels = d.channels.map((c) => c.label);
  let picks: number[];
  if (cfg.channels) {
    picks = cfg.channels.map((name) => {
      const i = labels.indexOf(name);
      if (i < 0) throw new InputError(`no channel "${name}"; channels are ${labels.join(', ')}`, source);
      return i;
    });
  } else {
    picks = d.channels.map((c, i) => (c.type.toUpperCase() === 'EEG' ? i : -1)).filter((i) => i >= 0);
    if (picks.length === 0) picks = labels.map((_, i) => i);
  }
  const nAll = labels.length;
  const ns = stream.timestampsMs.length;
  const x = new Float64Array(picks.length * ns);
  picks.forEach((ch, c) => {
    for (let t = 0; t < ns; t++) x[c * ns + t] = stream.samples[t * nAll + ch];
  });
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new InputError(`channel ${labels[picks[Math.floor(i / ns)]]} sample ${i % ns} is ${x[i]}; remove non-finite samples first`, source);
    }
  }
  const { sos, padlen } = mneBandPass(cfg.band, fs);
  const filtered = cfg.filter === 'causal' ? causalBandPass(sos, x, picks.length, ns) : (sosfiltfilt(sos, x, picks.length, ns, { padlen: Math.min(padlen, ns - 1) }) as Float64Array);
  const markers = markersToSamples(stream.timestampsMs, fs, rec.markers);
  return extractEpochs(
    { data: filtered, channelCount: picks.length, sampleCount: ns, sampleRateHz: fs, channelLabels: picks.map((i) => labels[i]), source },
    markers,
    { classes: cfg.classes, windowSeconds: cfg.window },
  );
}

/**
 * The online filter, offline: `scipy.signal.sosfilt(sos, x, zi=sosfilt_zi(sos) * x[:, 0])` per
 * channel (CHANNEL-MAJOR x), i.e. what ml.model-predict's SosFilter ('step' initial state) outputs
 * when the recording is streamed through it from its first frame.
 */
export function causalBandPass(sos: Sos, x: Float64Array, channelCount: number, sampleCount: number): Float64Array {
  const zi1 = sosfiltZi(sos);
  const zi = new Float64Array(channelCount * zi1.length);
  for (let c = 0; c < channelCount; c++) for (let i = 0; i < zi1.length; i++) zi[c * zi1.length + i] = zi1[i] * x[c * sampleCount];
  return sosfilt(sos, x, channelCount, sampleCount, zi) as Float64Array;
}

/** Epochs of several recordings for one experiment, concatenated (same channels required). */
export function epochsFromRecordings(recs: { recording: RecordingLike; source: string }[], cfg: ExperimentConfig): { epochs: EpochSet; skipped: number } {
  const parts = recs.map((r) => epochsFromRecording(r.recording, cfg, r.source));
  const epochs = concatEpochSets(parts.map((p) => p.epochs));
  const skipped = parts.reduce((s, p) => s + p.skipped, 0);
  // A class without epochs is almost always a wrong marker mapping: say which values the files hold.
  epochs.classNames.forEach((name, k) => {
    if (epochs.labels.includes(k)) return;
    const values = Object.entries(cfg.classes).filter(([, v]) => v === name).map(([m]) => `"${m}"`);
    const present = [...new Set(recs.flatMap((r) => r.recording.markers.map((m) => m.value)))].slice(0, 20);
    throw new InputError(
      `no epochs of class "${name}" (marker ${values.join(' or ')})` +
        (skipped ? `; ${skipped} markers had windows running off the recording` : '') +
        `; marker values in the recordings: ${present.length ? present.map((v) => `"${v}"`).join(', ') : 'none'}`,
      'experiment.classes',
    );
  });
  return { epochs, skipped };
}

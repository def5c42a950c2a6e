// `fnirs_classification` experiments (FNIRSClassificationExperiment, API.md §11.2): an fNIRS recording
// (SNIRF import, or a published table with "Sx_Dy 760"/"Sx_Dy hbo" columns) → optical density →
// HbO/HbR (modified Beer–Lambert, ../fnirs.ts) → optional zero-phase band-pass → per-trial window
// features (mean, slope, peak per channel and chromophore, baseline-corrected) → standardised →
// L2 logistic regression (../logistic.ts), cross-validated with stratified folds. Optional
// `rest_class`: adds task-free windows (far from every stimulus) as one more class, so task vs rest
// can be learnt from recordings with few stimuli. Runs in the training worker or Node; allocates.
import { InputError } from '../../core/errors';
import { butter, sosfiltfilt } from '../../dsp';
import { accuracy, stratifiedKFold } from '../cross-validation';
import { classCounts } from '../epochs';
import { accuracySummary } from '../experiment';
import { beerLambert, FNIRS_FEATURES, opticalDensity, parseNirsChannel, sourceDetectorDistances, windowFeatures, type FnirsFeature } from '../fnirs';
import { dense, type DenseMatrix } from '../linalg';
import { LogisticRegression, type LogisticState } from '../logistic';
import { markersToSamples, type RecordingLike } from '../prepare';
import { recordingFromTable } from './dataframe';
import { runFigures, type PlotlyFigure } from './run';
import { hubSections, isObj, param, type DataInput } from './tabular';

export interface FnirsSpec {
  type: 'fnirs_classification';
  modelType: 'logistic_regression';
  classes: Record<string, string>;
  restClass: string | null;
  windowSeconds: [number, number];
  baselineSeconds: [number, number] | null;
  features: FnirsFeature[];
  chromophores: ('hbo' | 'hbr')[];
  bandHz: [number, number] | null;
  ppf: number;
  dataType: 'auto' | 'intensity' | 'od' | 'hb';
  distancesM: number | Record<string, number> | null;
  sampleRateHz: number | null;
  markerColumn: string;
  c: number;
  cv: number;
  seed: number;
}

export interface FnirsModel {
  kind: 'neurotab.fnirs-model';
  version: 1;
  spec: FnirsSpec;
  classNames: string[];
  featureNames: string[];
  channelLabels: string[];
  center: number[];
  scale: number[];
  logistic: LogisticState;
}

const MODEL_TYPES = ['logistic_regression', 'logisticregression', 'logistic'];

export function parseFnirsSpec(doc: Record<string, unknown>, where = 'config'): FnirsSpec {
  const { flat, modelType } = hubSections(doc);
  if (modelType !== undefined && !MODEL_TYPES.includes(modelType.toLowerCase())) throw new InputError(`fnirs_classification supports model_type "logistic_regression"; got ${JSON.stringify(modelType)}`, `${where}.create_model.model_type`);
  if (!isObj(flat.classes) || Object.keys(flat.classes).length === 0) throw new InputError('must map marker values to class names, e.g. {"1": "tapping", "2": "control"}', `${where}.classes`);
  const classes: Record<string, string> = {};
  for (const [k, v] of Object.entries(flat.classes)) {
    if (typeof v !== 'string' || v === '') throw new InputError(`class name for marker "${k}" must be a non-empty string`, `${where}.classes`);
    classes[k] = v;
  }
  const restClass = param.string(flat, 'rest_class', where) ?? null;
  const names = new Set([...Object.values(classes), ...(restClass ? [restClass] : [])]);
  if (names.size < 2) throw new InputError('needs at least two distinct classes (or one class and rest_class)', `${where}.classes`);
  const windowSeconds = param.pair(flat, 'window', where) ?? [0, 15];
  let baselineSeconds: [number, number] | null = [-2, 0];
  if (flat.baseline === null) baselineSeconds = null;
  else if (flat.baseline !== undefined) {
    const b = flat.baseline;
    if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(b[1] >= b[0])) throw new InputError('must be [start, end] seconds (end ≥ start) or null', `${where}.baseline`);
    baselineSeconds = [b[0], b[1]];
  }
  const features = (param.strings(flat, 'features', where) ?? [...FNIRS_FEATURES]) as FnirsFeature[];
  for (const f of features) if (!FNIRS_FEATURES.includes(f)) throw new InputError(`unknown feature "${f}" (mean, slope, peak)`, `${where}.features`);
  const chromophores = (param.strings(flat, 'chromophores', where) ?? ['hbo', 'hbr']) as ('hbo' | 'hbr')[];
  for (const c of chromophores) if (c !== 'hbo' && c !== 'hbr') throw new InputError(`unknown chromophore "${c}" (hbo, hbr)`, `${where}.chromophores`);
  const dataType = (flat.data_type ?? 'auto') as FnirsSpec['dataType'];
  if (!['auto', 'intensity', 'od', 'hb'].includes(dataType)) throw new InputError('must be "auto", "intensity", "od" or "hb"', `${where}.data_type`);
  let distancesM: FnirsSpec['distancesM'] = null;
  const dm = flat.distances_m ?? flat.distance_m;
  if (dm !== undefined) {
    if (typeof dm === 'number' && dm > 0 && dm < 1) distancesM = dm;
    else if (isObj(dm) && Object.values(dm).every((v) => typeof v === 'number' && v > 0 && v < 1)) distancesM = dm as Record<string, number>;
    else throw new InputError('must be metres (0–1) or {"S1_D1": metres, …}', `${where}.distances_m`);
  }
  return {
    type: 'fnirs_classification',
    modelType: 'logistic_regression',
    classes,
    restClass,
    windowSeconds,
    baselineSeconds,
    features,
    chromophores,
    bandHz: param.pair(flat, 'band', where) ?? null,
    ppf: param.number(flat, 'ppf', where, (v) => v > 0, 'a positive number') ?? 6,
    dataType,
    distancesM,
    sampleRateHz: param.number(flat, 'sample_rate_hz', where, (v) => v > 0, 'a positive number') ?? null,
    markerColumn: param.string(flat, 'marker_column', where) ?? 'marker',
    c: param.number(flat, 'C', where, (v) => v > 0, 'a positive number') ?? param.number(flat, 'c', where, (v) => v > 0, 'a positive number') ?? 1,
    cv: param.number(flat, 'cv', where, (v) => Number.isInteger(v) && v >= 2, 'an integer ≥ 2') ?? 5,
    seed: param.number(flat, 'seed', where, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0') ?? param.number(flat, 'random_state', where, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0') ?? 0,
  };
}

/** Haemoglobin of one recording: channel-major HbO/HbR, labels "Sx_Dy hbo|hbr", sample rate, frame times. */
export function haemoglobinOf(rec: RecordingLike & { probe?: { sourcePositionsM: number[][]; detectorPositionsM: number[][] } }, spec: FnirsSpec, source: string) {
  const stream = rec.streams.find((s) => s.descriptor.kind === 'fnirs') ?? rec.streams.find((s) => s.descriptor.channels.some((c) => parseNirsChannel(c)));
  if (!stream) throw new InputError('has no fNIRS stream (channels like "S1_D1 760" or "S1_D1 hbo")', source);
  const fs = stream.descriptor.sampleRateHz;
  if (!(fs > 0)) throw new InputError('the fNIRS stream has no regular sample rate', source);
  const all = stream.descriptor.channels;
  const picks = all.map((c, i) => (parseNirsChannel(c) ? i : -1)).filter((i) => i >= 0);
  const chans = picks.map((i) => all[i]);
  const kinds = chans.map((c) => parseNirsChannel(c)!.kind);
  const T = stream.timestampsMs.length;
  const x = new Float64Array(picks.length * T);
  picks.forEach((ch, c) => {
    for (let t = 0; t < T; t++) {
      const v = stream.samples[t * all.length + ch];
      if (!Number.isFinite(v)) throw new InputError(`channel ${all[ch].label} sample ${t} is ${v}; remove non-finite samples first`, source);
      x[c * T + t] = v;
    }
  });
  const isHb = kinds.every((k) => k === 'hbo' || k === 'hbr');
  if (spec.dataType === 'hb' && !isHb) throw new InputError('data_type "hb" needs "Sx_Dy hbo" / "Sx_Dy hbr" channels', source);
  let hb: Float64Array;
  let labels: string[];
  if (isHb) {
    hb = x;
    labels = chans.map((c) => {
      const p = parseNirsChannel(c)!;
      return `${p.pair} ${p.kind}`;
    });
  } else {
    if (kinds.some((k) => typeof k !== 'number')) throw new InputError('mixes wavelength and haemoglobin channels', source);
    let dist: ArrayLike<number>;
    if (typeof spec.distancesM === 'number') dist = chans.map(() => spec.distancesM as number);
    else if (spec.distancesM) {
      const table = spec.distancesM;
      dist = chans.map((c) => {
        const pair = parseNirsChannel(c)!.pair;
        const d = table[pair];
        if (!(d > 0)) throw new InputError(`no distance for pair ${pair}`, 'config.distances_m');
        return d;
      });
    } else if (rec.probe) dist = sourceDetectorDistances(chans, rec.probe.sourcePositionsM, rec.probe.detectorPositionsM);
    else throw new InputError('raw fNIRS data without a probe: give setup.distances_m (metres, one number or per pair)', source);
    const od = spec.dataType === 'od' ? x : opticalDensity(x, chans.length, T);
    const r = beerLambert(od, chans, T, dist, spec.ppf);
    hb = r.data;
    labels = r.labels;
  }
  if (spec.bandHz) {
    const [lo, hi] = spec.bandHz;
    if (!(lo > 0 && hi < fs / 2)) throw new InputError(`band [${lo}, ${hi}] Hz must satisfy 0 < low < high < Nyquist (${fs / 2} Hz)`, 'config.band');
    hb = Float64Array.from(sosfiltfilt(butter(2, [lo, hi], 'bandpass', fs), hb, labels.length, T));
  }
  const keep = labels.map((l, i) => (spec.chromophores.some((c) => l.endsWith(` ${c}`)) ? i : -1)).filter((i) => i >= 0);
  const data = new Float64Array(keep.length * T);
  keep.forEach((c, k) => data.set(hb.subarray(c * T, (c + 1) * T), k * T));
  return { data, labels: keep.map((i) => labels[i]), sampleRateHz: fs, timestampsMs: stream.timestampsMs, sampleCount: T };
}

interface Trials {
  x: DenseMatrix;
  labels: Int32Array;
  onsetsS: number[];
  /** Per trial: mean HbO and HbR over channels from baseline start to window end (for the response figure). */
  curves: { hbo: number[]; hbr: number[] }[];
  classNames: string[];
  featureNames: string[];
  channelLabels: string[];
  sampleRateHz: number;
  sources: string[];
}

/** Trials of the recordings: class markers, plus rest windows when `restClass` is set (training only). */
function trialsOf(recs: DataInput['recordings'], spec: FnirsSpec, withRest: boolean, requireClasses: boolean): Trials {
  const classNames = [...new Set(Object.values(spec.classes)), ...(spec.restClass ? [spec.restClass] : [])];
  const rows: number[][] = [];
  const labels: number[] = [];
  const onsetsS: number[] = [];
  const curves: Trials['curves'] = [];
  const sources: string[] = [];
  let channelLabels: string[] | null = null;
  let fsAll = 0;
  for (const { recording, source } of recs) {
    const hb = haemoglobinOf(recording, spec, source);
    if (channelLabels && channelLabels.join('|') !== hb.labels.join('|')) throw new InputError(`has other fNIRS channels than the first recording`, source);
    channelLabels = hb.labels;
    fsAll = hb.sampleRateHz;
    const fs = hb.sampleRateHz;
    const T = hb.sampleCount;
    const w0 = Math.round(spec.windowSeconds[0] * fs);
    const w1 = Math.round(spec.windowSeconds[1] * fs);
    const b0 = spec.baselineSeconds ? Math.round(spec.baselineSeconds[0] * fs) : w0;
    const fits = (on: number) => on + Math.min(w0, b0) >= 0 && on + w1 < T;
    const marks = markersToSamples(hb.timestampsMs, fs, recording.markers).filter((m) => m.value in spec.classes);
    const onsets: { sample: number; label: number }[] = marks.filter((m) => fits(m.sample)).map((m) => ({ sample: m.sample, label: classNames.indexOf(spec.classes[m.value]) }));
    if (withRest && spec.restClass) {
      // Rest windows: step through the recording; keep windows that end before a stimulus − 2 s and
      // start ≥ window end + 10 s after every stimulus (hemodynamic return to baseline).
      const span = w1 - Math.min(w0, b0) + 1;
      const busy = marks.map((m) => [m.sample + Math.min(w0, b0) - Math.round(2 * fs), m.sample + w1 + Math.round(10 * fs)]);
      const candidates: number[] = [];
      for (let on = -Math.min(w0, b0); on + w1 < T; on += span) {
        const lo = on + Math.min(w0, b0);
        const hi = on + w1;
        if (busy.every(([a, b]) => hi < a || lo > b)) candidates.push(on);
      }
      const want = Math.max(...classCounts(Int32Array.from(onsets, (o) => o.label), classNames.length).slice(0, -1), 0);
      const take = Math.min(want, candidates.length);
      for (let i = 0; i < take; i++) onsets.push({ sample: candidates[Math.floor(((i + 0.5) * candidates.length) / take)], label: classNames.length - 1 });
    }
    if (onsets.length === 0) continue;
    const f = windowFeatures(hb.data, hb.labels.length, T, onsets.map((o) => o.sample), { sampleRateHz: fs, windowSeconds: spec.windowSeconds, baselineSeconds: spec.baselineSeconds, features: spec.features });
    const C = hb.labels.length;
    onsets.forEach((o, r) => {
      rows.push(Array.from(f.data.subarray(r * f.cols, (r + 1) * f.cols)));
      labels.push(o.label);
      onsetsS.push((hb.timestampsMs[o.sample] - hb.timestampsMs[0]) / 1000);
      sources.push(source);
      const curve = { hbo: [] as number[], hbr: [] as number[] };
      for (let i = Math.min(w0, b0); i <= w1; i++) {
        let so = 0;
        let no = 0;
        let sr = 0;
        let nr = 0;
        for (let c = 0; c < C; c++) {
          const v = hb.data[c * T + o.sample + i] * 1e6; // µM
          if (hb.labels[c].endsWith('hbo')) (so += v), no++;
          else (sr += v), nr++;
        }
        curve.hbo.push(no ? so / no : 0);
        curve.hbr.push(nr ? sr / nr : 0);
      }
      curves.push(curve);
    });
  }
  if (requireClasses) {
    const counts = classCounts(Int32Array.from(labels), classNames.length);
    classNames.forEach((name, k) => {
      if (counts[k] === 0) {
        const present = [...new Set(recs.flatMap((r) => r.recording.markers.map((m) => m.value)))].slice(0, 20);
        throw new InputError(`no trials of class "${name}" whose window fits in the recording; marker values present: ${present.map((v) => `"${v}"`).join(', ') || 'none'}`, 'config.classes');
      }
    });
  }
  const labelsOut = channelLabels ?? [];
  const featureNames = labelsOut.flatMap((l) => spec.features.map((f) => `${l} ${f}`));
  const x = dense(rows.length, featureNames.length);
  rows.forEach((r, i) => x.data.set(r, i * featureNames.length));
  return { x, labels: Int32Array.from(labels), onsetsS, curves, classNames, featureNames, channelLabels: labelsOut, sampleRateHz: fsAll, sources };
}

function standardiser(x: DenseMatrix, rows: number[]): { center: number[]; scale: number[] } {
  const d = x.cols;
  const center = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) center[j] += x.data[r * d + j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j] += (x.data[r * d + j] - center[j]) ** 2 / rows.length;
  return { center, scale: scale.map((v) => Math.sqrt(v) || 1) };
}

function applyStd(x: DenseMatrix, rows: number[], s: { center: number[]; scale: number[] }): DenseMatrix {
  const d = x.cols;
  const out = dense(rows.length, d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) out.data[i * d + j] = (x.data[r * d + j] - s.center[j]) / s.scale[j];
  });
  return out;
}

export function recordingsOf(input: DataInput, spec: FnirsSpec): DataInput['recordings'] {
  if (input.recordings.length) return input.recordings;
  if (!input.table) throw new InputError('no data', 'fnirs');
  const rec = recordingFromTable(input.table, spec.sampleRateHz ?? NaN, spec.markerColumn, 'queue data');
  rec.streams[0].descriptor = { ...rec.streams[0].descriptor, id: 'nirs', name: 'fNIRS', kind: 'fnirs' as never };
  return [{ recording: rec, source: 'queue data' }];
}

export function trainFnirs(spec: FnirsSpec, input: DataInput, cancelled: () => boolean = () => false) {
  const trials = trialsOf(recordingsOf(input, spec), spec, true, true);
  const K = trials.classNames.length;
  const counts = classCounts(trials.labels, K);
  const minCount = Math.min(...counts);
  if (minCount < 2) throw new InputError(`class "${trials.classNames[counts.indexOf(minCount)]}" has ${minCount} trial; cross-validation needs at least 2 per class`, 'data');
  const k = Math.min(spec.cv, minCount);
  const folds = stratifiedKFold(trials.labels, k, { seed: spec.seed });
  const n = trials.labels.length;
  const smallest = Math.min(...folds.map((f) => f.train.length));
  if (smallest <= K) throw new InputError(`${n} trials (per class: ${counts.join(', ')}) leave ${smallest} training trials in a ${k}-fold split, too few for ${K} classes; record more trials`, 'data');
  const oofPred = new Int32Array(n);
  const oofScore = new Float64Array(n);
  const scores: number[] = [];
  for (const fold of folds) {
    if (cancelled()) throw new InputError('training cancelled; the previous model is unchanged', 'run');
    const std = standardiser(trials.x, fold.train);
    const lr = LogisticRegression.fit(applyStd(trials.x, fold.train, std), Int32Array.from(fold.train, (i) => trials.labels[i]), trials.classNames, { c: spec.c });
    const xt = applyStd(trials.x, fold.test, std);
    const pred = lr.predict(xt);
    const proba = lr.predictProba(xt);
    fold.test.forEach((e, j) => {
      oofPred[e] = pred[j];
      oofScore[e] = K === 2 ? proba.data[j * K + 1] : proba.data[j * K + pred[j]];
    });
    scores.push(accuracy(Array.from(fold.test, (i) => trials.labels[i]), pred));
  }
  const metrics = accuracySummary(scores, trials.labels, oofPred, oofScore, trials.classNames);
  const all = Array.from({ length: n }, (_, i) => i);
  const std = standardiser(trials.x, all);
  const lr = LogisticRegression.fit(applyStd(trials.x, all, std), trials.labels, trials.classNames, { c: spec.c });
  const model: FnirsModel = { kind: 'neurotab.fnirs-model', version: 1, spec, classNames: trials.classNames, featureNames: trials.featureNames, channelLabels: trials.channelLabels, center: std.center, scale: std.scale, logistic: lr.toJSON() };
  const fs = trials.sampleRateHz;
  const start = Math.min(Math.round(spec.windowSeconds[0] * fs), spec.baselineSeconds ? Math.round(spec.baselineSeconds[0] * fs) : Infinity);
  const tAxis = (trials.curves[0]?.hbo ?? []).map((_, i) => (start + i) / fs);
  const response: PlotlyFigure = {
    data: trials.classNames.flatMap((name, kk) => {
      const mine = trials.curves.filter((_, i) => trials.labels[i] === kk);
      const avg = (key: 'hbo' | 'hbr') => tAxis.map((_, i) => mine.reduce((s, c) => s + c[key][i], 0) / Math.max(1, mine.length));
      return [
        { type: 'scatter', mode: 'lines', name: `${name} HbO`, x: tAxis, y: avg('hbo'), line: { color: ['#c0392b', '#e67e22', '#8e44ad', '#16a085'][kk % 4] } },
        { type: 'scatter', mode: 'lines', name: `${name} HbR`, x: tAxis, y: avg('hbr'), line: { dash: 'dash', color: ['#c0392b', '#e67e22', '#8e44ad', '#16a085'][kk % 4] } },
      ];
    }),
    layout: { title: { text: 'Mean haemodynamic response per class (all channels, µM)' }, xaxis: { title: { text: 's from onset' } }, yaxis: { title: { text: 'µM' } } },
  };
  return {
    model,
    metrics,
    scores: { accuracy: metrics.mean, chance: metrics.chance, ...(metrics.rocAuc !== undefined ? { roc_auc: metrics.rocAuc } : {}) },
    figures: { ...runFigures(metrics, []), hemodynamic_response: response },
    edaFigures: { class_balance: { data: [{ type: 'bar', x: trials.classNames, y: counts }], layout: { title: { text: 'Trials per class' } } } as PlotlyFigure },
    trainData: { trial: all, onset_s: trials.onsetsS, class: Array.from(trials.labels, (l) => trials.classNames[l]), source: trials.sources } as Record<string, unknown[]>,
  };
}

export function predictFnirs(model: FnirsModel, input: DataInput): Record<string, unknown[]> {
  const trials = trialsOf(recordingsOf(input, model.spec), model.spec, false, false);
  if (trials.featureNames.join('|') !== model.featureNames.join('|')) throw new InputError('the data have other fNIRS channels than the trained model', 'data');
  const all = Array.from({ length: trials.labels.length }, (_, i) => i);
  const lr = LogisticRegression.fromJSON(model.logistic);
  const x = applyStd(trials.x, all, { center: model.center, scale: model.scale });
  const pred = lr.predict(x);
  const proba = lr.predictProba(x);
  const K = model.classNames.length;
  return {
    onset_s: trials.onsetsS,
    predicted: Array.from(pred, (k) => model.classNames[k]),
    score: Array.from(pred, (k, i) => proba.data[i * K + k]),
    true: Array.from(trials.labels, (l) => trials.classNames[l]),
  };
}

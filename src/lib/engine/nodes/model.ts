// Online inference with a model trained on the Training page (or by `neurotab evaluate` / the
// ExperimentHub API): the calibrate-then-predict model of NeuroPype with calibration done offline.
// Engine worker / Node. The classic recipes predict with ml/experiment.ts's own `predictWindow`; a
// TensorFlow.js network is loaded by the host (async, heavy) and bound as a `DeepWindowPredictor`,
// so this file never imports TensorFlow.js. HOT PATH: `process` (ring copy per frame, one
// prediction per hop, which allocates a window copy and the model's small intermediates).
import { InputError } from '../../core/errors';
import type { StreamDescriptor } from '../../core/stream';
import { SosFilter } from '../../dsp/iir';
import { predictWindow, type TrainedModel } from '../../ml/experiment';
import { mneBandPass } from '../../ml/prepare';
import type { DeepModel } from '../../ml/tf/train';
import { featureAxis, timeAxis, type FeatureAxis } from '../axes';
import { axisIndex, sameStream, type HasAxes } from '../block';
import { chunkProps, descriptorOf, findFirstChunk, type Chunk, type ChunkQuery } from '../packet';
import { chunkShape, mapShapes } from '../shapes';
import type { NodeClass, NodeInstance } from '../types';
import { input, metaChunks, normLabel, output, p } from './common';

/** What the node reads: a continuous signal with channels. */
const RAW: ChunkQuery = { onlySignals: true, withAxes: ['time', 'space'], withoutAxes: ['instance'] };

/**
 * What the `model` parameter holds: a classic model (it carries its experiment config), or a saved
 * run `{ model, config }` as the training worker stores it (Dexie `models` table, `state` column),
 * whose config gives a network its band and window.
 */
export type DeployableModel = TrainedModel | { model: TrainedModel | DeepModel; config?: Record<string, unknown>; runId?: string; name?: string };

/** One window's prediction by a host-loaded network (ml/tf/train.ts `predictDeepWindow` fits). */
export interface DeepWindowPredictor {
  kind: 'deep-window-predictor';
  /** `window`: FRAME-MAJOR, exactly sampleCount × channelCount values, already band-passed. */
  predict(window: Float64Array, channelCount: number): { classIndex: number; probabilities: number[] };
}

/** What the node needs to know of a model, whatever its kind. */
export interface ModelSummary {
  kind: 'classic' | 'deep';
  type: string;
  classNames: string[];
  /** Labels in the order the model expects its channels (undefined: take the stream's channels as they are). */
  channelLabels?: string[];
  channelCount: number;
  sampleRateHz: number;
  /** Window length in frames (and seconds = sampleCount / sampleRateHz). */
  sampleCount: number;
  bandHz: [number, number];
  /** How the training data were band-passed (experiment `filter`); online this node always filters causally. */
  trainedFilter: 'zero-phase' | 'causal';
  classic?: TrainedModel;
  deep?: DeepModel;
}

/** Reads a deployable model (structural checks only: the weights are checked where they are used). */
export function summariseModel(value: unknown, where = 'model'): ModelSummary {
  if (typeof value !== 'object' || value === null) throw new InputError('must be a trained model (a saved run or a classic model JSON)', where);
  const v = value as Record<string, unknown>;
  const inner = (v.kind === undefined && typeof v.model === 'object' && v.model !== null ? v.model : v) as Record<string, unknown>;
  const config = (inner === v ? undefined : (v.config as Record<string, unknown> | undefined)) ?? undefined;
  if (inner.kind === 'neurotab.classic-model' && inner.version === 1) {
    const m = inner as unknown as TrainedModel;
    if (!Array.isArray(m.classNames) || !m.config || !Array.isArray(m.config.band)) throw new InputError('classic model without class names or experiment config', where);
    return {
      kind: 'classic',
      type: m.config.type,
      classNames: [...m.classNames],
      channelLabels: m.channelLabels ? [...m.channelLabels] : undefined,
      channelCount: modelChannelCount(m),
      sampleRateHz: m.sampleRateHz,
      sampleCount: m.sampleCount,
      bandHz: [m.config.band[0], m.config.band[1]],
      trainedFilter: m.config.filter === 'causal' ? 'causal' : 'zero-phase',
      classic: m,
    };
  }
  if (inner.kind === 'neurotab.tf-model' && inner.version === 1) {
    const m = inner as unknown as DeepModel;
    const band = bandOf(config);
    if (!band) throw new InputError('a TensorFlow.js model needs its run config (band [low, high] Hz): deploy the saved run, not the bare network', where);
    return {
      kind: 'deep',
      type: m.type,
      classNames: [...m.classNames],
      channelLabels: m.channelLabels ? [...m.channelLabels] : undefined,
      channelCount: m.channelCount,
      sampleRateHz: m.sampleRateHz,
      sampleCount: m.sampleCount,
      bandHz: band,
      trainedFilter: filterOf(config),
      deep: m,
    };
  }
  throw new InputError(`not a Neurotab model (kind ${JSON.stringify(inner.kind)}); expected a saved training run or a classic model`, where);
}

function bandOf(config: Record<string, unknown> | undefined): [number, number] | undefined {
  if (!config) return undefined;
  // ExperimentHub form: {setup: {band}} or {create_model: {params: {band}}}; flat form: {band}.
  const setup = config.setup as Record<string, unknown> | undefined;
  const params = (config.create_model as Record<string, unknown> | undefined)?.params as Record<string, unknown> | undefined;
  const b = params?.band ?? setup?.band ?? config.band;
  return Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === 'number') ? [b[0], b[1]] : undefined;
}

function filterOf(config: Record<string, unknown> | undefined): 'zero-phase' | 'causal' {
  const setup = config?.setup as Record<string, unknown> | undefined;
  const params = (config?.create_model as Record<string, unknown> | undefined)?.params as Record<string, unknown> | undefined;
  return (params?.filter ?? setup?.filter ?? config?.filter) === 'causal' ? 'causal' : 'zero-phase';
}

function modelChannelCount(m: TrainedModel): number {
  if (m.channelLabels) return m.channelLabels.length;
  const s = (m.csp ?? m.xdawn ?? m.cca) as unknown as { channelCount?: number } | undefined;
  return s?.channelCount ?? 0;
}

/**
 * Where the model's channels sit in `stream` (indices in the model's channel order). Throws an
 * InputError naming the difference, and what to do about it, when the stream runs at another rate
 * or lacks a channel. The engine worker calls it before a deployment starts; the node on its first
 * chunk.
 */
export function modelPicks(stream: StreamDescriptor, m: ModelSummary): number[] {
  if (stream.sampleRateHz !== m.sampleRateHz) {
    throw new InputError(
      `stream "${stream.name}" runs at ${stream.sampleRateHz} Hz; the model was trained at ${m.sampleRateHz} Hz. ` +
        `Deploy a model trained on recordings of this stream (record it with markers on the Live page, then train on that recording), ` +
        `or resample the stream to ${m.sampleRateHz} Hz in a pipeline`,
    );
  }
  const labels = stream.channels.map((c) => c.label);
  if (!m.channelLabels) {
    if (labels.length !== m.channelCount) {
      throw new InputError(`stream "${stream.name}" has ${labels.length} channels; the model was trained on ${m.channelCount}. Deploy a model trained on recordings of this stream`);
    }
    return labels.map((_, i) => i);
  }
  const missing: string[] = [];
  const picks = m.channelLabels.map((want) => {
    let i = labels.indexOf(want);
    if (i < 0) i = labels.findIndex((l) => normLabel(l) === normLabel(want));
    if (i < 0) missing.push(want);
    return i;
  });
  if (missing.length) {
    throw new InputError(
      `stream "${stream.name}" lacks channel(s) ${missing.map((x) => `"${x}"`).join(', ')} the model was trained on (stream has ${labels.slice(0, 16).join(', ')}${labels.length > 16 ? ', …' : ''}). ` +
        `Deploy a model trained on this stream's channels (or list them under Channels before training)`,
    );
  }
  return picks;
}

/** The latest prediction, as `peek()` returns it (the UI and API read this). */
export interface PredictionSnapshot {
  timestampMs: number;
  classIndex: number;
  className: string;
  /** Per class, in classNames order: probabilities (LDA posteriors, softmax), or CCA correlations normalised to sum 1. */
  probabilities: number[];
}

export interface ModelPredictPeek {
  kind: 'predictions';
  modelType: string | null;
  classNames: string[];
  windowSeconds: number | null;
  /** The model's (and so the stream's) sample rate, Hz. */
  sampleRateHz: number | null;
  bandHz: [number, number] | null;
  /**
   * How the model's training data were band-passed. Online the band-pass is always causal, so
   * "zero-phase" means the live windows are filtered differently from the training epochs (retrain
   * with the experiment option `filter: "causal"` for identical preprocessing).
   */
  trainedFilter: 'zero-phase' | 'causal' | null;
  /** Frames still needed before the first window is full (0 once predicting). */
  warmupFrames: number;
  predictions: number;
  latest: PredictionSnapshot | null;
  /** The most recent predictions, oldest first (at most `history` of them). */
  history: PredictionSnapshot[];
  /** Last error (channel/rate mismatch, no model), or null. */
  error: string | null;
  /** Time spent in the most recent prediction (window copy + model), ms. */
  lastPredictMs: number | null;
  /** Median and 99th percentile of the time per prediction over the last (up to) 256 predictions (after the first 4), ms. */
  predictMsP50: number | null;
  predictMsP99: number | null;
}

/** The peek fields that describe the model (null/empty before a model is known). */
function describeModel(m: ModelSummary | undefined): Pick<ModelPredictPeek, 'modelType' | 'classNames' | 'windowSeconds' | 'sampleRateHz' | 'bandHz' | 'trainedFilter' | 'warmupFrames'> {
  return {
    modelType: m?.type ?? null,
    classNames: m?.classNames ?? [],
    windowSeconds: m ? m.sampleCount / m.sampleRateHz : null,
    sampleRateHz: m?.sampleRateHz ?? null,
    bandHz: m?.bandHz ?? null,
    trainedFilter: m?.trainedFilter ?? null,
    warmupFrames: m?.sampleCount ?? 0,
  };
}

/**
 * What a host binds to a model-predict node whose `model_id` it resolves asynchronously (the REST
 * API's engine worker reads the saved run from IndexedDB): the node waits, emitting nothing, until
 * `ready` settles, then predicts with the model (and, for a network, the predictor), or reports why
 * it could not load on every chunk.
 */
export interface ModelBinding {
  kind: 'model-binding';
  modelId: string;
  ready: Promise<{ model: DeployableModel; predictor?: DeepWindowPredictor }>;
}

/**
 * A ModelBinding for `modelId`: `lookup` returns the saved run (or undefined when there is none);
 * networks are loaded by `loadDeep` (TensorFlow.js; omitted = networks are refused with a message).
 */
export function modelBinding(
  modelId: string,
  lookup: (id: string) => Promise<unknown>,
  loadDeep?: (model: DeepModel) => Promise<DeepWindowPredictor>,
): ModelBinding {
  const ready = (async () => {
    const model = await lookup(modelId);
    if (model === undefined || model === null) throw new InputError(`no saved run "${modelId}" (train and save a model on the Training page or through /exphub first)`);
    const s = summariseModel(model, `saved run "${modelId}"`);
    if (s.kind === 'deep') {
      if (!loadDeep) throw new InputError(`saved run "${modelId}" is a ${s.type} network and this host cannot load TensorFlow.js models`);
      return { model: model as DeployableModel, predictor: await loadDeep(s.deep!) };
    }
    return { model: model as DeployableModel };
  })();
  ready.catch(() => {}); // the node reports the failure; never an unhandled rejection
  return { kind: 'model-binding', modelId, ready };
}

const HISTORY = 40;
/** Predictions left out of the latency percentiles (cold JIT). */
const WARMUP_PREDICTIONS = 4;

export const modelPredict: NodeClass = {
  type: 'ml.model-predict',
  package: 'ml',
  title: 'Predict with a trained model',
  version: '1.0.0',
  doc: `Applies a model trained on the Training page (CSP+LDA, xDAWN+LDA, CCA, EEGNet, ShallowConvNet) to
the live stream: the model was calibrated offline (NeuroPype's calibrate-then-predict, with the
calibration done by the experiment), this node only predicts. It applies the experiment's own
preprocessing — the channels the model was trained on, in its order (picked by label), the
experiment's Butterworth band-pass (order 4, run causally online, started in the steady state of the
first sample; a model trained with the experiment option \`filter: "causal"\` saw exactly this
filter, one trained zero-phase saw a differently phased signal and \`peek\` says so) — keeps a sliding window of the model's length ending at the newest sample, and every
\`1 / rate\` seconds of stream time predicts it with the experiment's own predict code.

- **in \`data\`**: the raw device stream (continuous time × space; not the live view's filtered one);
  the first such chunk of each packet is used.
- **out \`data\`**: time × feature (source kind "predictions"): one row per prediction, stamped with
  the window's last sample: "p(<class>)" per class (LDA posteriors / network softmax; for CCA the
  correlations normalised to sum 1) and "predicted" (the class index, order of the model's classes).
- **model_id** (string): id of a saved training run (IndexedDB \`models\` table); the host resolves it
  into \`model\` before the pipeline loads. **model** (dict): the saved run or classic model JSON itself.
- **rate** (Hz): predictions per second of stream time (windows overlap when rate × window > 1).

A stream whose rate differs from the model's, or that lacks one of the model's channels, is refused
with an error naming the difference. Prediction time per window is reported by \`peek\`.`,
  inputs: [input('data', [RAW], 'Raw signal chunks from the device.', { hint: 'feed the continuous device stream (time × space), not segments or spectra' })],
  outputs: [output('data', mapShapes('data', [RAW], (s) => chunkShape(s.name, ['time', 'feature'], { is_signal: true, is_streaming: s.flags.is_streaming })), 'Class probabilities and the predicted class, one row per prediction.')],
  params: [
    p.string('model_id', null, 'Saved training run id (resolved by the host into "model").', { live: false }),
    p.dict('model', null, 'The trained model (saved run {model, config} or classic model JSON).', { live: false }),
    p.float('rate', 4, 'Predictions per second of stream time.', { unit: 'Hz', domain: [0.01, 1000] }),
  ],
  create(params, ctx) {
    const rateHz = params.rate as number;
    const modelId = params.model_id as string | null;
    let summary = params.model ? summariseModel(params.model, `node "${ctx.nodeId}" model`) : undefined;
    /** A host binding resolving model_id is still loading (no output until it is). */
    let pending = false;
    /** Why the host could not resolve model_id (reported on every chunk). */
    let loadError: string | null = null;
    let predictor: DeepWindowPredictor | undefined;

    // Per stream: picks, filter, ring.
    let src: HasAxes | undefined;
    let out: { feature: FeatureAxis; props: Chunk['props']; rateHz: number } | undefined;
    let picks: number[] = [];
    let filter: SosFilter | undefined;
    let hop = 1;
    let ring = new Float64Array(0);
    let ringPos = 0; // next frame slot in the ring
    let seen = 0; // frames received since (re)start
    let pickBuf = new Float64Array(0);
    let window = new Float64Array(summary ? summary.sampleCount * summary.channelCount : 0);

    const peekState: ModelPredictPeek = {
      kind: 'predictions',
      ...describeModel(summary),
      predictions: 0,
      latest: null,
      history: [],
      error: null,
      lastPredictMs: null,
      predictMsP50: null,
      predictMsP99: null,
    };
    const latencies = new Float64Array(256);
    let latencyCount = 0;

    const fail = (message: string): never => {
      peekState.error = message;
      throw new InputError(message, `node "${ctx.nodeId}"`);
    };

    /** Checks the stream against the model and sets up picks, filter and ring. */
    const setup = (c: Chunk, m: ModelSummary) => {
      const stream = descriptorOf(c);
      try {
        picks = modelPicks(stream, m);
      } catch (e) {
        fail(e instanceof InputError ? e.message : String(e));
      }
      const C = picks.length;
      filter = new SosFilter(mneBandPass(m.bandHz, m.sampleRateHz).sos, C, { initialState: 'step' });
      ring = new Float64Array(m.sampleCount * C);
      ringPos = 0;
      seen = 0;
      hop = Math.max(1, Math.round(m.sampleRateHz / rateHz));
      const feature = featureAxis([...m.classNames.map((k) => `p(${k})`), 'predicted'], [...m.classNames.map(() => 'probability'), 'class']);
      out = { feature, props: chunkProps({ id: `${stream.id}.prediction`, name: `${stream.name} predictions`, kind: 'predictions' }, { is_signal: true, is_streaming: c.props.is_streaming }), rateHz: m.sampleRateHz / hop };
      src = { axes: c.block.axes };
      peekState.error = null;
    };

    /** Predicts the window in the ring (oldest frame at ringPos). */
    const predictRing = (m: ModelSummary): { classIndex: number; probabilities: number[] } => {
      const C = picks.length;
      const T = m.sampleCount;
      const head = (T - ringPos) * C;
      window.set(ring.subarray(ringPos * C), 0);
      window.set(ring.subarray(0, ringPos * C), head);
      if (m.classic) {
        const w = predictWindow(m.classic, window, C, m.channelLabels);
        let probabilities = w.perClass;
        if (m.classic.cca) {
          const s = probabilities.reduce((a, b) => a + Math.max(0, b), 0);
          probabilities = probabilities.map((r) => (s > 0 ? Math.max(0, r) / s : 1 / probabilities.length));
        }
        return { classIndex: w.classIndex, probabilities };
      }
      if (!predictor) return fail(`the ${m.type} network is not loaded: the host must bind a predictor (the engine worker loads saved runs itself)`);
      return predictor.predict(window, C);
    };

    const node: NodeInstance = {
      process(inputs) {
        const found = findFirstChunk(inputs.data, RAW);
        if (!found || found[1].block.data.length === 0) return;
        const [name, c] = found;
        if (axisIndex(c.block, 'time') !== 0) throw new InputError('expects time × space (time first), as the device stream arrives', `node "${ctx.nodeId}"`);
        if (!summary && pending) return;
        if (!summary && loadError) return fail(loadError);
        if (!summary && modelId) {
          // Not (yet) bound by a host: said once, no output. Not thrown, so a parameter edit that sets
          // model_id passes the runtime's dry run (an unbound copy) before the host binds the new id.
          if (!peekState.error) {
            peekState.error = `model "${modelId}" was not loaded (the host resolves model_id from the saved runs; is the id right?)`;
            ctx.log(40, peekState.error);
          }
          return;
        }
        if (!summary) return fail('no model: set model_id to a saved training run, or model to the model JSON');
        if (!src || !sameStream(src, c.block)) setup(c, summary);
        const m = summary;
        const C = picks.length;
        const frames = c.block.shape[0];
        const all = c.block.shape[1];
        const x = c.block.data;
        const ts = (c.block.axes[0] as { timesMs: Float64Array }).timesMs;
        if (pickBuf.length < frames * C) pickBuf = new Float64Array(Math.max(frames * C, pickBuf.length * 2));
        const buf = pickBuf.subarray(0, frames * C);
        for (let n = 0; n < frames; n++) for (let k = 0; k < C; k++) buf[n * C + k] = x[n * all + picks[k]];
        filter!.process(buf, buf);
        const T = m.sampleCount;
        const K = m.classNames.length;
        let rows: Float32Array | undefined;
        let stamps: Float64Array | undefined;
        let emitted = 0;
        for (let n = 0; n < frames; n++) {
          for (let c = 0, o = ringPos * C, i = n * C; c < C; c++) ring[o + c] = buf[i + c];
          ringPos = ringPos + 1 === T ? 0 : ringPos + 1;
          seen++;
          if (seen < T || (seen - T) % hop !== 0) continue;
          const t0 = performance.now();
          const r = predictRing(m);
          peekState.lastPredictMs = performance.now() - t0;
          // The first few predictions include the JIT's compilation of the predict path: not counted.
          if (peekState.predictions >= WARMUP_PREDICTIONS) latencies[latencyCount++ % latencies.length] = peekState.lastPredictMs;
          if (!rows) {
            const most = Math.floor((frames - 1 - n) / hop) + 1;
            rows = new Float32Array(most * (K + 1));
            stamps = new Float64Array(most);
          }
          for (let k = 0; k < K; k++) rows[emitted * (K + 1) + k] = r.probabilities[k];
          rows[emitted * (K + 1) + K] = r.classIndex;
          stamps![emitted] = ts[n];
          emitted++;
          const snap: PredictionSnapshot = { timestampMs: ts[n], classIndex: r.classIndex, className: m.classNames[r.classIndex], probabilities: r.probabilities };
          peekState.latest = snap;
          peekState.history.push(snap);
          if (peekState.history.length > HISTORY) peekState.history.shift();
          peekState.predictions++;
        }
        peekState.warmupFrames = Math.max(0, T - seen);
        if (!emitted || !out) return;
        const axes = [timeAxis(stamps!.subarray(0, emitted), out.rateHz), out.feature];
        return { data: new Map([[name, { block: { data: rows!.subarray(0, emitted * (K + 1)), shape: [emitted, K + 1], axes }, props: out.props }]]) };
      },
      reset() {
        src = undefined;
        peekState.latest = null;
        peekState.history = [];
        peekState.predictions = 0;
        latencyCount = 0;
        peekState.warmupFrames = summary?.sampleCount ?? 0;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, RAW)) if (summary && (!src || !sameStream(src, chunk.block))) setup(chunk, summary);
      },
      bind(binding) {
        const mb = binding as ModelBinding | undefined;
        if (mb?.kind === 'model-binding') {
          // A binding for another model_id (the params changed since) is stale: ignore it.
          if (mb.modelId !== modelId || params.model) return;
          pending = true;
          loadError = null;
          mb.ready.then(
            (r) => {
              if (!pending) return;
              pending = false;
              summary = summariseModel(r.model, `saved run "${modelId}"`);
              window = new Float64Array(summary.sampleCount * summary.channelCount);
              predictor = r.predictor;
              peekState.error = null;
              Object.assign(peekState, describeModel(summary));
              src = undefined;
              ctx.log(20, `saved run "${modelId}" loaded: ${summary.type}, classes ${summary.classNames.join(' / ')}, ${summary.channelCount} channels at ${summary.sampleRateHz} Hz`);
            },
            (e: unknown) => {
              pending = false;
              loadError = peekState.error = `model "${modelId}" could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
              // Said once now (the stream may be quiet), and again by every chunk that arrives.
              ctx.log(40, loadError);
            },
          );
          return;
        }
        const b = binding as DeepWindowPredictor | undefined;
        if (b?.kind !== 'deep-window-predictor' || typeof b.predict !== 'function') throw new InputError('binding must be a deep-window-predictor or a model-binding', `node "${ctx.nodeId}"`);
        predictor = b;
      },
      peek: () => {
        const n = Math.min(latencyCount, latencies.length);
        if (n) {
          const sorted = latencies.slice(0, n).sort();
          peekState.predictMsP50 = sorted[Math.floor(n * 0.5)];
          peekState.predictMsP99 = sorted[Math.min(n - 1, Math.floor(n * 0.99))];
        }
        return { ...peekState, history: [...peekState.history] };
      },
    };
    return node;
  },
};

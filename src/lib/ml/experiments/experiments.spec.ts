// Experiment documents and runs: both config forms (flat and ExperimentHub setup/create_model),
// option checks, DataFrame forms, and a deep (EEGNet) run through the hub on a published DataFrame
// with training curves, CV metrics and a save → load round trip; a stop keeps the previous model.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { installFastCpuKernels } from '../tf/fast-kernels';
import { parseExperimentSpec, resolveType, typeFromLoadObject } from './config';
import { isDataModel, parseDataSpec } from './data-run';
import type { RecordingLike } from '../prepare';
import { parseCsvTable, parseDataFrame, recordingFromTable } from './dataframe';
import { ExperimentHub } from './hub';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installFastCpuKernels();
});

describe('experiment documents', () => {
  it('reads the flat form and the ExperimentHub form to the same spec', () => {
    const flat = parseExperimentSpec({ type: 'eegnet', classes: { A: 'a', B: 'b' }, window: [0, 1], band: [5, 20], epochs: 4, cv: 0 });
    const hub = parseExperimentSpec({ setup: { classes: { A: 'a', B: 'b' }, window: [0, 1], band: [5, 20] }, create_model: { model_type: 'eegnet', params: { epochs: 4, cv: 0 } } });
    expect(hub).toEqual(flat);
    expect(parseExperimentSpec({ type: 'bci_motor_imagery', classes: { A: 'a', B: 'b' }, window: [0, 1], band: [5, 20] }).type).toBe('motor_imagery_csp_lda');
  });
  it('refuses bad options with where and what', () => {
    const base = { classes: { A: 'a', B: 'b' }, window: [0, 1], band: [5, 20] };
    expect(() => parseExperimentSpec({ ...base, type: 'nope' })).toThrow(/experiment.type: type must be one of/);
    expect(() => parseExperimentSpec({ ...base, type: 'eegnet', epochs: 0 })).toThrow(/experiment.epochs/);
    expect(() => parseExperimentSpec({ ...base, type: 'eegnet', cv: 1 })).toThrow(/experiment.cv/);
    expect(() => parseExperimentSpec({ ...base, type: 'motor_imagery_csp_lda', cv: 0 })).toThrow(/always cross-validated/);
    expect(() => parseExperimentSpec({ ...base, type: 'eegnet', classes: { A: 'a' } })).toThrow(InputError);
  });
  it('reads DataFrames in records, split, column and CSV forms alike', () => {
    const want = { columns: ['x', 'marker'], rows: [[1, null], [2, 'A']] };
    expect(parseDataFrame([{ x: 1, marker: null }, { x: 2, marker: 'A' }])).toEqual(want);
    expect(parseDataFrame({ columns: ['x', 'marker'], index: [0, 1], data: [[1, null], [2, 'A']] })).toEqual(want);
    expect(parseDataFrame({ x: { '0': 1, '1': 2 }, marker: { '0': null, '1': 'A' } })).toEqual(want);
    expect(parseCsvTable('x,marker\n1,\n2,A\n')).toEqual({ columns: ['x', 'marker'], rows: [[1, ''], [2, 'A']] });
    const rec = recordingFromTable(want, 100);
    expect(rec.markers).toEqual([{ timestampMs: 10, value: 'A' }]);
    expect(() => recordingFromTable(want, 0)).toThrow(/sample_rate_hz/);
    expect(() => recordingFromTable({ columns: ['x'], rows: [['a']] }, 100)).toThrow(/row 0, column "x"/);
  });
});

/** 4 channels at 64 Hz, markers every 1.5 s; class A: 10 Hz burst on ch0, class B on ch1. */
function frame(trials: number) {
  const fs = 64;
  const n = Math.round(trials * 1.5 * fs) + fs;
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  const rows: Record<string, number | string | null>[] = Array.from({ length: n }, () => ({ c0: rnd(), c1: rnd(), c2: rnd(), c3: rnd(), marker: null }));
  for (let t = 0; t < trials; t++) {
    const s = Math.round(fs / 4 + t * 1.5 * fs);
    const cls = t % 2 ? 'B' : 'A';
    rows[s].marker = cls;
    for (let i = 0; i < fs; i++) (rows[s + i] as Record<string, number>)[cls === 'A' ? 'c0' : 'c1'] += 5 * Math.sin((2 * Math.PI * 10 * i) / fs);
  }
  return parseDataFrame(rows);
}

describe('deep runs through the hub', () => {
  const cfg = { type: 'eegnet', classes: { A: 'a', B: 'b' }, window: [0, 1], band: [4, 20], sample_rate_hz: 64, epochs: 3, batchSize: 8, cv: 2 };

  it('trains EEGNet with per-epoch events, metrics and figures; save → load restores it', async () => {
    const events: string[] = [];
    const hub = new ExperimentHub({ onEvent: (e) => events.push(e.type === 'epoch' ? `epoch:${e.log.fold}` : e.type) });
    hub.create('deep', 'eegnet', cfg);
    hub.publish('deep', frame(24));
    const runId = hub.train('deep');
    await hub.idle('deep');
    const st = hub.get('deep')!;
    expect(st.lastError).toBeNull();
    expect(st.available).toBe(true);
    expect(st.runId).toBe(runId);
    expect(events.filter((e) => e === 'epoch:1')).toHaveLength(3);
    expect(events.filter((e) => e === 'epoch:null')).toHaveLength(3);
    expect(events.at(-1)).toBe('finished');
    expect(st.run!.metrics!.folds).toHaveLength(2);
    expect(st.run!.metrics!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(24);
    expect(Object.keys(st.run!.figures)).toEqual(['fold_scores', 'confusion_matrix', 'training_curves']);
    await hub.save('deep');
    // Stop a retrain: the previous model and run stay.
    hub.publish('deep', frame(24));
    hub.retrain('deep');
    hub.stopTraining('deep');
    await hub.idle('deep');
    expect(hub.get('deep')!.runId).toBe(runId);
    expect(hub.get('deep')!.lastError).toMatch(/previous model is unchanged/);
    const other = new ExperimentHub({ registry: hub.registry });
    const loaded = await other.load('deep');
    expect(loaded?.runId).toBe(runId);
    expect(other.get('deep')!.available).toBe(true);
  }, 60_000);

  it('refuses too few trials per fold before training', async () => {
    const hub = new ExperimentHub();
    hub.create('few', 'eegnet', cfg);
    hub.publish('few', frame(12));
    hub.train('few');
    await hub.idle('few');
    expect(hub.get('few')!.lastError).toMatch(/has 6 epochs, at least 9 are needed/);
    expect(hub.get('few')!.available).toBe(false);
  });
});

describe('table and recording types (time_series, fault_detection, fnirs_classification)', () => {
  it('reads the seed configuration and the defaults; epoch parsers point elsewhere', () => {
    const ts = parseDataSpec('time_series', { setup: { target: 'value', ds: 'ds' }, create_model: { model_type: 'Prophet', params: { seasonality_mode: 'multiplicative', daily_seasonality: true } } });
    expect(ts).toMatchObject({ type: 'time_series', modelType: 'Prophet', target: ['value'], ds: 'ds', holdout: 0.2, options: { seasonalityMode: 'multiplicative', dailySeasonality: true } });
    expect(parseDataSpec('fault_detection', {})).toMatchObject({ modelType: 'IsolationForest', features: null, seed: 0, standardize: true });
    expect(parseDataSpec('fnirs_classification', { setup: { classes: { '1': 'a', '2': 'b' } } })).toMatchObject({ windowSeconds: [0, 15], baselineSeconds: [-2, 0], features: ['mean', 'slope', 'peak'], chromophores: ['hbo', 'hbr'], ppf: 6, cv: 5 });
    expect(() => parseExperimentSpec({ type: 'time_series' })).toThrow(/not an epoch-based recipe/);
    expect(() => parseDataSpec('time_series', { setup: { holdout: 0.95 } })).toThrow(/config\.holdout/);
    expect(() => parseDataSpec('fault_detection', { create_model: { params: { n_estimators: 0 } } })).toThrow(/config\.n_estimators/);
    expect(() => parseDataSpec('fnirs_classification', { setup: { classes: { '1': 'a' }, rest_class: 'rest', distances_m: 3 } })).toThrow(/config\.distances_m/);
    expect(resolveType('fault_detection')).toBe('fault_detection');
    expect(typeFromLoadObject('FaultDetectionExperiment')).toBe('fault_detection');
  });

  it('a stored recording is a table: channels are columns, frame times are ds (time_series on data.recordings)', async () => {
    const fs = 1 / 60; // one sample a minute for 3 days
    const n = 3 * 24 * 60;
    const t0 = Date.UTC(2024, 2, 1);
    const samples = new Float32Array(n);
    const timestampsMs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      timestampsMs[i] = t0 + i * 60_000;
      samples[i] = 20 + 5 * Math.sin((2 * Math.PI * i) / (24 * 60));
    }
    const recording: RecordingLike = { streams: [{ descriptor: { id: 'temp', name: 'Temperature', kind: 'aux', sampleRateHz: fs, channels: [{ label: 'temp', unit: 'C', type: 'MISC' }] } as never, samples, timestampsMs }], markers: [] };
    const hub = new ExperimentHub({ loadRecording: async () => recording });
    hub.create('room', 'time_series', { setup: { target: 'temp', ds: 'ds' }, data: { recordings: ['room.csv'] } });
    hub.train('room');
    await hub.idle('room');
    const run = hub.get('room')!.run!;
    expect(hub.get('room')!.lastError).toBeNull();
    expect(isDataModel(run.model)).toBe(true);
    // A pure daily cycle: the held-out last 20 % is forecast to float32 precision.
    expect(run.scores!.holdout_mae).toBeLessThan(1e-3);
    expect(Object.keys(run.trainData)).toEqual(['ds', 'temp', 'yhat']);
    expect(await hub.predict('room')).toBe(true);
    expect(Object.keys(hub.get('room')!.results!.predictions)).toEqual(['ds', 'yhat', 'yhat_lower', 'yhat_upper', 'y', 'anomaly']);
  });

  it('a stop right after the start keeps the previous model', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i) }));
    const hub = new ExperimentHub();
    hub.create('fd', 'fault_detection', {});
    hub.publish('fd', parseDataFrame(rows));
    hub.train('fd');
    await hub.idle('fd');
    const first = hub.get('fd')!.runId;
    hub.publish('fd', parseDataFrame(rows));
    hub.train('fd');
    hub.stopTraining('fd');
    await hub.idle('fd');
    expect(hub.get('fd')!.runId).toBe(first);
    expect(hub.get('fd')!.lastError).toMatch(/previous model is unchanged/);
    expect(hub.get('fd')!.available).toBe(true);
  });
});

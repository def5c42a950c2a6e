// `neurotab evaluate <experiment.json> --in <file> [--in <file>…] --cv <k> --seed <n> [--save-model <path>]`:
// cross-validates a classic EEG experiment (motor_imagery_csp_lda, p300_xdawn_lda, ssvep_cca) or an
// fnirs_classification experiment (SNIRF input) on recordings and prints JSON `{ folds, mean, chance, … }`
// on stdout. Node only; runs the same library code as the app and the ExperimentHub (formats/ readers,
// ml/prepare + ml/experiment; ml/experiments/fnirs-classification). Reads whole files into memory; no network.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { readRecording, type RecordingData } from '../../src/lib/formats';
import { siblingFiles } from './info';
import { crossValidate, parseExperimentConfig, trainModel, type CrossValidationResult } from '../../src/lib/ml/experiment';
import { epochsFromRecordings } from '../../src/lib/ml/prepare';
import { flattenHubConfig } from '../../src/lib/ml/experiments/config';
import { parseFnirsSpec, trainFnirs } from '../../src/lib/ml/experiments/fnirs-classification';

export const summary = 'cross-validate a classic EEG decoder or fnirs_classification: <experiment.json> --in <file>… [--cv k] [--seed n] [--save-model out.json]';

export interface EvaluateArgs {
  experimentPath: string;
  inputs: string[];
  folds: number;
  seed: number;
  saveModelPath?: string;
}

export function parseEvaluateArgs(argv: string[]): EvaluateArgs {
  let experimentPath: string | undefined;
  const inputs: string[] = [];
  let folds = 5;
  let seed = 0;
  let saveModelPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InputError(`${a} needs a value`, 'arguments');
      return v;
    };
    const int = (min: number) => {
      const s = value();
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) throw new InputError(`${a} must be an integer ≥ ${min}, got "${s}"`, 'arguments');
      return n;
    };
    if (a === '--in') inputs.push(value());
    else if (a === '--cv') folds = int(2);
    else if (a === '--seed') seed = int(0);
    else if (a === '--save-model') saveModelPath = value();
    else if (a.startsWith('--')) throw new InputError(`unknown option "${a}" (try --in FILE, --cv K, --seed N, --save-model PATH)`, 'arguments');
    else if (experimentPath === undefined) experimentPath = a;
    else throw new InputError(`unexpected argument "${a}"; give input files with --in`, 'arguments');
  }
  if (!experimentPath) throw new InputError('usage: neurotab evaluate <experiment.json> --in <file> [--in <file>…] [--cv k] [--seed n]', 'arguments');
  if (inputs.length === 0) throw new InputError('give at least one recording with --in <file>', 'arguments');
  return { experimentPath, inputs, folds, seed, saveModelPath };
}

/** Reads any recording formats/ knows (EDF/BDF, XDF, SNIRF, OpenBCI / BrainFlow / muse-lsl / Neurotab CSV). */
export async function readRecordingFile(path: string): Promise<RecordingData> {
  let bytes: Uint8Array;
  try {
    const b = readFileSync(path);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new InputError(`cannot read: ${errorMessage(e)}`, path);
  }
  return readRecording(bytes, basename(path), { companion: siblingFiles(path) });
}

export interface EvaluateOutput extends CrossValidationResult {
  type: string;
  seed: number;
  /** Markers whose window ran off the recording (EEG types; not counted for fNIRS). */
  skippedMarkers?: number;
}

/** The command's work without the printing, for tests and other callers. */
export async function evaluate(args: EvaluateArgs): Promise<EvaluateOutput> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(args.experimentPath, 'utf8'));
  } catch (e) {
    throw new InputError(`not readable JSON: ${errorMessage(e)}`, args.experimentPath);
  }
  const where = basename(args.experimentPath);
  const recs: { recording: RecordingData; source: string }[] = [];
  const isObj = typeof doc === 'object' && doc !== null && !Array.isArray(doc);
  if (isObj && flattenHubConfig(doc as Record<string, unknown>).type === 'fnirs_classification') {
    // The hub's fNIRS experiment (same parse, same training code); --cv and --seed win over the file's.
    const spec = { ...parseFnirsSpec(doc as Record<string, unknown>, where), cv: args.folds, seed: args.seed };
    for (const p of args.inputs) recs.push({ recording: await readRecordingFile(p), source: basename(p) });
    const r = trainFnirs(spec, { table: null, recordings: recs });
    if (args.saveModelPath) writeFileSync(args.saveModelPath, JSON.stringify(r.model));
    return { ...r.metrics, type: spec.type, seed: args.seed };
  }
  const cfg = parseExperimentConfig(doc, where);
  for (const p of args.inputs) recs.push({ recording: await readRecordingFile(p), source: basename(p) });
  const { epochs, skipped } = epochsFromRecordings(recs, cfg);
  const result = crossValidate(cfg, epochs, { k: args.folds, seed: args.seed });
  if (args.saveModelPath) writeFileSync(args.saveModelPath, JSON.stringify(trainModel(cfg, epochs)));
  return { ...result, type: cfg.type, seed: args.seed, skippedMarkers: skipped };
}

export async function run(argv: string[]): Promise<number> {
  try {
    const out = await evaluate(parseEvaluateArgs(argv));
    // The three documented keys first, then the details.
    const { folds, mean, chance, ...rest } = out;
    console.log(JSON.stringify({ folds, mean, chance, ...rest }, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`neurotab evaluate: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

// `neurotab evaluate <experiment.json> --in <file> [--in <file>…] --cv <k> --seed <n> [--save-model <path>]`:
// cross-validates a classic experiment (motor_imagery_csp_lda, p300_xdawn_lda, ssvep_cca) on recordings
// and prints JSON `{ folds, mean, chance, … }` on stdout. Node only; runs the same library code as the
// app (formats/ readers, ml/prepare + ml/experiment). Reads whole files into memory; no network.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { readCsv } from '../../src/lib/formats/csv';
import { readEdf } from '../../src/lib/formats/edf';
import { readXdf } from '../../src/lib/formats/xdf';
import type { RecordingData } from '../../src/lib/formats/recording';
import { crossValidate, parseExperimentConfig, trainModel, type CrossValidationResult } from '../../src/lib/ml/experiment';
import { epochsFromRecordings } from '../../src/lib/ml/prepare';

export const summary = 'cross-validate a classic decoder: <experiment.json> --in <file>… [--cv k] [--seed n] [--save-model out.json]';

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

/** Reads a recording by its extension: .edf/.bdf, .xdf, .csv/.txt (OpenBCI, BrainFlow, muse-lsl, Neurotab CSV). */
export function readRecordingFile(path: string): RecordingData {
  let bytes: Uint8Array;
  try {
    const b = readFileSync(path);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new InputError(`cannot read: ${errorMessage(e)}`, path);
  }
  const name = basename(path);
  switch (extname(path).toLowerCase()) {
    case '.edf':
    case '.bdf':
      return readEdf(bytes, name);
    case '.xdf':
      return readXdf(bytes, name);
    case '.csv':
    case '.txt':
    case '.tsv':
      return readCsv(bytes, name);
    default:
      throw new InputError('unknown file type; use .edf, .bdf, .xdf, .csv or .txt', path);
  }
}

export interface EvaluateOutput extends CrossValidationResult {
  type: string;
  seed: number;
  skippedMarkers: number;
}

/** The command's work without the printing, for tests and other callers. */
export function evaluate(args: EvaluateArgs): EvaluateOutput {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(args.experimentPath, 'utf8'));
  } catch (e) {
    throw new InputError(`not readable JSON: ${errorMessage(e)}`, args.experimentPath);
  }
  const cfg = parseExperimentConfig(doc, basename(args.experimentPath));
  const recs = args.inputs.map((p) => ({ recording: readRecordingFile(p), source: basename(p) }));
  const { epochs, skipped } = epochsFromRecordings(recs, cfg);
  const result = crossValidate(cfg, epochs, { k: args.folds, seed: args.seed });
  if (args.saveModelPath) writeFileSync(args.saveModelPath, JSON.stringify(trainModel(cfg, epochs)));
  return { ...result, type: cfg.type, seed: args.seed, skippedMarkers: skipped };
}

export async function run(argv: string[]): Promise<number> {
  try {
    const out = evaluate(parseEvaluateArgs(argv));
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

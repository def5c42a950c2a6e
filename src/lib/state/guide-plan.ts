// The guided first run as data: its steps, the calibration schedule (eyes open / closed in turns,
// where each marker goes), the classifier recipe it trains, and its progress as saved between visits
// (validated on load: a corrupt or old entry starts the guide afresh). Pure; no Svelte, no DOM.
import { z } from 'zod';

export type GuideStep = 'signal' | 'calibrate' | 'train' | 'live';
export const GUIDE_STEPS: readonly GuideStep[] = ['signal', 'calibrate', 'train', 'live'];
export type EyesClass = 'open' | 'closed';

/** Ten phases of 4 s: a 40 s calibration, five phases per class. */
export const CALIBRATION_PHASES = 10;
export const PHASE_SECONDS = 4;
/**
 * Markers per phase, in seconds from its start. The synthetic alpha ramps over 0.3 s and the epoch
 * window is 0.3–1.8 s after a marker, so each window lies inside its phase with the ramp behind it.
 */
export const MARKER_OFFSETS_SECONDS: readonly number[] = [0.5, 2.0];
export const EPOCH_WINDOW_SECONDS: readonly [number, number] = [0.3, 1.8];
/** Alpha band (Hz) the classifier looks at. */
export const ALPHA_BAND_HZ: readonly [number, number] = [8, 12];
export const GUIDE_EXPERIMENT = 'first-run-eyes';

/** The class of phase `i` (0-based): open first, then closed, in turns. */
export function phaseClass(i: number): EyesClass {
  return i % 2 === 0 ? 'open' : 'closed';
}

/** Every marker of the calibration: its time from the calibration's start and its class. */
export function calibrationSchedule(): Array<{ atSeconds: number; phase: number; value: EyesClass }> {
  const out: Array<{ atSeconds: number; phase: number; value: EyesClass }> = [];
  for (let p = 0; p < CALIBRATION_PHASES; p++) for (const o of MARKER_OFFSETS_SECONDS) out.push({ atSeconds: p * PHASE_SECONDS + o, phase: p, value: phaseClass(p) });
  return out;
}

/**
 * The experiment the guide trains (the training worker's classic CSP + LDA on the alpha band, as the
 * Training page would send it): trains in about a second, deploys on the live stream.
 */
export function guideTrainingConfig(channels: number): Record<string, unknown> {
  return {
    type: 'motor_imagery_csp_lda',
    classes: { open: 'open', closed: 'closed' },
    window: [...EPOCH_WINDOW_SECONDS],
    band: [...ALPHA_BAND_HZ],
    // Causal: the filter the live deployment runs, so the model sees live what it was trained on.
    filter: 'causal',
    components: Math.max(2, Math.min(4, channels - (channels % 2))),
    cv: 4,
  };
}

const progressSchema = z.object({
  version: z.literal(1),
  step: z.enum(['signal', 'calibrate', 'train', 'live']),
  /** Calibration phases fully done (their markers recorded). */
  phasesDone: z.number().int().min(0).max(CALIBRATION_PHASES),
  /** Recordings holding those phases (more than one when a closed tab resumed the calibration). */
  recordingIds: z.array(z.string().min(1).max(100)).max(CALIBRATION_PHASES),
  runId: z.string().min(1).max(200).nullable(),
  /** Milliseconds measured so far (null until known). */
  calibrationMs: z.number().nonnegative().nullable(),
  trainingMs: z.number().nonnegative().nullable(),
});
export type GuideProgress = z.infer<typeof progressSchema>;

export const GUIDE_STORAGE_KEY = 'neurotab.guide';

export function freshProgress(): GuideProgress {
  return { version: 1, step: 'signal', phasesDone: 0, recordingIds: [], runId: null, calibrationMs: null, trainingMs: null };
}

/** Saved progress, or null when there is none or it is not a valid entry of this version. */
export function parseProgress(text: string | null): GuideProgress | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const r = progressSchema.safeParse(value);
  return r.success ? r.data : null;
}

/**
 * Where a saved guide comes back: a calibration cut short resumes at its next phase; a run cut
 * short during training trains again (the recordings are kept); a finished guide shows its model
 * again (it is deployed anew on the live stream).
 */
export function resumeStep(p: GuideProgress): GuideStep {
  if (p.step === 'calibrate' && p.phasesDone >= CALIBRATION_PHASES) return 'train';
  if (p.step === 'live' && !p.runId) return 'train';
  return p.step;
}

import { describe, expect, it } from 'vitest';
import { calibrationSchedule, CALIBRATION_PHASES, EPOCH_WINDOW_SECONDS, freshProgress, guideTrainingConfig, parseProgress, PHASE_SECONDS, phaseClass, resumeStep } from './guide-plan';

describe('guide plan', () => {
  it('calibrates for 40 s in turns, open first, with as many markers per class and every epoch window inside its phase', () => {
    expect(CALIBRATION_PHASES * PHASE_SECONDS).toBe(40);
    expect([0, 1, 2, 3].map(phaseClass)).toEqual(['open', 'closed', 'open', 'closed']);
    const s = calibrationSchedule();
    expect(s.filter((m) => m.value === 'open').length).toBe(s.filter((m) => m.value === 'closed').length);
    for (const m of s) {
      const start = m.phase * PHASE_SECONDS;
      // After the 0.3 s alpha ramp of the phase's switch, and before the next switch.
      expect(m.atSeconds + EPOCH_WINDOW_SECONDS[0]).toBeGreaterThanOrEqual(start + 0.3);
      expect(m.atSeconds + EPOCH_WINDOW_SECONDS[1]).toBeLessThanOrEqual(start + PHASE_SECONDS);
      expect(m.value).toBe(phaseClass(m.phase));
    }
    // Four folds over 20 epochs leave at least 4 of each class to train on per fold.
    expect(s.length).toBe(20);
  });

  it('trains CSP + LDA on the alpha band with an even number of components that the channels allow', () => {
    expect(guideTrainingConfig(16)).toMatchObject({ type: 'motor_imagery_csp_lda', band: [8, 12], window: [0.3, 1.8], filter: 'causal', components: 4, classes: { open: 'open', closed: 'closed' } });
    expect(guideTrainingConfig(4).components).toBe(4); // Muse
    expect(guideTrainingConfig(3).components).toBe(2);
    expect(guideTrainingConfig(1).components).toBe(2);
  });

  it('reads back saved progress and resumes where it was; refuses corrupt or foreign entries', () => {
    const mid = { ...freshProgress(), step: 'calibrate' as const, phasesDone: 3, recordingIds: ['rec_1'] };
    const back = parseProgress(JSON.stringify(mid))!;
    expect(back).toEqual(mid);
    expect(resumeStep(back)).toBe('calibrate');
    expect(resumeStep({ ...mid, phasesDone: CALIBRATION_PHASES })).toBe('train');
    expect(resumeStep({ ...mid, step: 'live', runId: null })).toBe('train');
    expect(resumeStep({ ...mid, step: 'live', runId: 'run_1' })).toBe('live');
    expect(parseProgress(null)).toBeNull();
    expect(parseProgress('{not json')).toBeNull();
    expect(parseProgress(JSON.stringify({ ...mid, version: 2 }))).toBeNull();
    expect(parseProgress(JSON.stringify({ ...mid, phasesDone: 11 }))).toBeNull();
    expect(parseProgress(JSON.stringify({ ...mid, step: 'teleport' }))).toBeNull();
  });
});

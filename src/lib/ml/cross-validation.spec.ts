// Splits and scores. Score values are scikit-learn's documented examples (its docstrings).
import { describe, expect, it } from 'vitest';
import { accuracy, balancedAccuracy, chanceLevel, confusionMatrix, kFold, rocAuc, shuffleSplit, stratifiedKFold } from './cross-validation';

describe('scores (scikit-learn docstring examples)', () => {
  it('roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });
  it('ties count one half', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 0, 1, 1], [1, 2, 2, 3])).toBe(0.875);
  });
  it('confusion_matrix([2,0,2,2,0,1], [0,0,2,2,0,2])', () => {
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });
  it('balanced_accuracy_score([0,1,0,0,1,0], [0,1,0,0,0,1]) = 0.625, accuracy 4/6', () => {
    expect(balancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], 2)).toBe(0.625);
    expect(accuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])).toBeCloseTo(4 / 6, 15);
  });
  it('chance level is the majority share', () => {
    expect(chanceLevel([0, 0, 0, 1])).toBe(0.75);
  });
});

describe('splits', () => {
  const labels = Array.from({ length: 45 }, (_, i) => (i % 3 === 0 ? 1 : 0)); // 15 vs 30
  it('k-fold test sets partition the trials', () => {
    const folds = kFold(45, 4, { shuffle: true, seed: 7 });
    const all = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(folds.map((f) => f.test.length)).toEqual([12, 11, 11, 11]);
    for (const f of folds) expect(f.train.length + f.test.length).toBe(45);
  });
  it('stratified folds keep class proportions, are seeded and deterministic', () => {
    const a = stratifiedKFold(labels, 5, { seed: 3 });
    const b = stratifiedKFold(labels, 5, { seed: 3 });
    const c = stratifiedKFold(labels, 5, { seed: 4 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const all = a.flatMap((f) => f.test).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 45 }, (_, i) => i));
    for (const f of a) {
      expect(f.test.filter((i) => labels[i] === 1).length).toBe(3);
      expect(f.test.filter((i) => labels[i] === 0).length).toBe(6);
      expect(new Set([...f.train, ...f.test]).size).toBe(45);
    }
  });
  it('shuffle-split test size follows scikit-learn (ceil)', () => {
    const s = shuffleSplit(45, 10, 0.2, 42);
    expect(s.every((f) => f.test.length === 9 && f.train.length === 36)).toBe(true);
  });
  it('refuses impossible splits', () => {
    expect(() => stratifiedKFold([0, 0, 1, 1, 1], 3)).toThrow(/fewer than the 3 folds/);
    expect(() => kFold(3, 5)).toThrow(/at least 5 trials/);
  });
});

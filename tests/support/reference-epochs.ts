// Test support (Node only): the shared reference's 45 motor-imagery epochs (eeg_csp_lda.epochs, 64 ch × 161 samples at 160 Hz) as an EpochSet.
import type { EpochSet } from '../../src/lib/ml/epochs';
import { hasShared, referenceArray, referenceJson } from './shared';

export function referenceEpochs(): EpochSet | null {
  if (!hasShared) return null;
  const ref = referenceJson('eeg_csp_lda');
  return { data: referenceArray(ref.epochs.X), epochCount: 45, channelCount: 64, sampleCount: 161, labels: Int32Array.from(ref.epochs.labels), classNames: ['T1', 'T2'], sampleRateHz: 160 };
}

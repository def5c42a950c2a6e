// Standard 10-05 electrode positions by label (MNE's `standard_1005`, 343 electrodes + fiducials) for
// NeuroPype's AssignChannelLocations and for spherical-spline interpolation. Coordinates: MNE's HEAD
// frame (origin midway between the pre-auricular points, +x right, +y nasion, +z up), metres.
// Runs anywhere; the table is built once on first use (montage-1005-data.ts is generated, not edited).
import { normLabel } from '../core/labels';
import { STANDARD_1005_FIDUCIALS, STANDARD_1005_POSITIONS } from './montage-1005-data';

export { STANDARD_1005_FIDUCIALS };

let byLabel: Map<string, readonly [number, number, number]> | null = null;

/** Referencing suffixes that some recorders append to the electrode name ("Fp1-REF", "C3-A2"). */
const REFERENCE_SUFFIX = /[-_](REF|LE|RE|AVG|AR|CAR|A1|A2|M1|M2)$/i;

function table(): Map<string, readonly [number, number, number]> {
  if (!byLabel) {
    byLabel = new Map();
    for (const [label, x, y, z] of STANDARD_1005_POSITIONS) byLabel.set(label.toUpperCase(), [x, y, z]);
  }
  return byLabel;
}

/**
 * Position of a 10-05 label, [x, y, z] in metres (head frame), or null. Case-insensitive; tolerant of
 * EDF padding ("C3..", "Fc5."), an "EEG " prefix and a reference suffix ("Cz-REF").
 */
export function standard1005Position(label: string): readonly [number, number, number] | null {
  const t = table();
  const k = normLabel(label);
  return t.get(k) ?? t.get(k.replace(REFERENCE_SUFFIX, '')) ?? null;
}

/** The labels of the 10-05 table in MNE's order (with MNE's capitalisation). */
export function standard1005Labels(): string[] {
  return STANDARD_1005_POSITIONS.map((p) => p[0]);
}

/**
 * Positions for a channel list: `positions` is n × 3 row-major (NaN where the label is not in the
 * table), `missing` the labels not found (unlocalised channels, e.g. "EOG", "Status").
 */
export function assignStandard1005(labels: readonly string[]): { positions: Float64Array; found: boolean[]; missing: string[] } {
  const positions = new Float64Array(labels.length * 3).fill(NaN);
  const found: boolean[] = [];
  const missing: string[] = [];
  labels.forEach((l, i) => {
    const p = standard1005Position(l);
    found.push(p !== null);
    if (p) positions.set(p, i * 3);
    else missing.push(l);
  });
  return { positions, found, missing };
}

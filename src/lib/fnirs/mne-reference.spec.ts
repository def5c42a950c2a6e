// The fNIRS library against MNE-Python 1.3 (shared/reference/fnirs.json) on both real SNIRF
// recordings: optical density, Beer–Lambert, SCI and TDDR from the reference's float64 intensities
// (f64 tolerances) and from our SNIRF reader's float32 samples (f32 tolerances), plus the band-passed
// OD that SCI correlates.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, sharedBytes } from '../../../tests/support/shared';
import { channelData } from '../formats/recording';
import { readSnirf } from '../formats/snirf';
import { beerLambert, cardiacBandpass, extinctionCoefficients, opticalDensity, scalpCouplingIndex, sourceDetectorDistances, tddr } from './index';

const ref = hasShared ? referenceJson('fnirs') : { recordings: [] };
const SCI_BAND = { lFreqHz: 0.7, hFreqHz: 1.5, lTransBandwidthHz: 0.3, hTransBandwidthHz: 0.3 };

/** A SNIRF file's fNIRS stream as CHANNEL-MAJOR float32 (what the reader keeps) + its probe distances. */
async function snirfRecording(name: string) {
  const rec = await readSnirf(sharedBytes(`data/snirf/${name}.snirf`), `${name}.snirf`);
  const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
  const ch = s.descriptor.channels;
  const T = s.timestampsMs.length;
  const raw = new Float32Array(ch.length * T);
  ch.forEach((_, c) => raw.set(channelData(s, c), c * T));
  return { channels: ch, T, raw, distances: sourceDetectorDistances(ch, rec.probe!.sourcePositionsM, rec.probe!.detectorPositionsM) };
}

describe.skipIf(!hasShared)('fNIRS library against MNE 1.3 (fnirs.json)', () => {
  for (const r of ref.recordings as any[]) {
    const C = r.ch_names.length;
    const T = r.n_times;
    const fs = r.sfreq;
    const chans = r.ch_names.map((label: string) => ({ label }));
    const expectWithin = (actual: ArrayLike<number>, expected: Float64Array | ArrayLike<number>, tol: { metric: 'nmax' | 'abs' }, bound: number) =>
      expect(referenceError(actual, expected, tol.metric)).toBeLessThan(bound);

    it(`${r.recording}: OD, Hb, SCI, band-passed OD and TDDR from float64 intensities`, () => {
      const od = opticalDensity(referenceArray(r.raw_intensity), C, T);
      expectWithin(od, referenceArray(r.optical_density.data), r.optical_density.tol, r.optical_density.tol.f64);
      const hb = beerLambert(od, chans, T, r.source_detector_distances_m, r.beer_lambert.ppf);
      expect(hb.labels).toEqual(r.beer_lambert.ch_names_out);
      expectWithin(hb.data, referenceArray(r.beer_lambert.data), r.beer_lambert.tol, r.beer_lambert.tol.f64);
      const sci = r.scalp_coupling_index;
      expectWithin(scalpCouplingIndex(od, chans, T, fs, SCI_BAND), sci.values, sci.tol, sci.tol.f64);
      if (sci.filtered_od) expectWithin(cardiacBandpass(od, C, T, fs, SCI_BAND), referenceArray(sci.filtered_od), { metric: 'nmax' }, 1e-12);
      expectWithin(tddr(od, C, T, fs), referenceArray(r.tddr.data), r.tddr.tol, r.tddr.tol.f64);
    });

    it(`${r.recording}: the same chain from our SNIRF reader (float32 samples, probe distances)`, async () => {
      const s = await snirfRecording(r.recording);
      Array.from(s.distances).forEach((d, i) => expect(d).toBeCloseTo(r.source_detector_distances_m[i], 12));
      const od = opticalDensity(s.raw, C, s.T);
      expectWithin(od, referenceArray(r.optical_density.data), r.optical_density.tol, r.optical_density.tol.f32);
      const od32 = Float32Array.from(od);
      const hb = beerLambert(od32, s.channels, s.T, s.distances, 6);
      expectWithin(hb.data, referenceArray(r.beer_lambert.data), r.beer_lambert.tol, r.beer_lambert.tol.f32);
      const sci = r.scalp_coupling_index;
      expectWithin(scalpCouplingIndex(od32, s.channels, s.T, fs, SCI_BAND), sci.values, sci.tol, sci.tol.f32);
      expectWithin(tddr(od32, C, s.T, fs), referenceArray(r.tddr.data), r.tddr.tol, r.tddr.tol.f32);
    });
  }

  it("extinction × 0.2303 is MNE's abs_coef at 690 and 830 nm", () => {
    const abs = (ref.recordings[0] as any).beer_lambert.abs_coef as number[][];
    expect(extinctionCoefficients(690).map((e) => e * 0.2303)).toEqual(abs[0].map((v) => expect.closeTo(v, 9)));
    expect(extinctionCoefficients(830).map((e) => e * 0.2303)).toEqual(abs[1].map((v) => expect.closeTo(v, 9)));
  });
});

// fNIRS chain against MNE-Python 1.3 (shared/reference/fnirs.json): optical density and the
// modified Beer–Lambert law on both real SNIRF recordings, from the reference's float64 intensities
// (f64 tolerances) and from our SNIRF reader's float32 samples (f32 tolerances); extinction values
// equal MNE's abs_coef / 0.2303; window features follow their definitions on known signals.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, sharedBytes, needsShared } from '../../../tests/support/shared';
import { readSnirf } from '../formats/snirf';
import { channelData } from '../formats/recording';
import { beerLambert, extinctionCoefficients, opticalDensity, parseNirsChannel, sourceDetectorDistances, windowFeatures } from './fnirs';

describe('optical density and Beer–Lambert against MNE', needsShared, () => {
  const ref = hasShared ? referenceJson('fnirs') : { recordings: [] };
  for (const r of ref.recordings as any[]) {
    it(`${r.recording}: OD and HbO/HbR from the reference intensities (float64)`, () => {
      const C = r.ch_names.length;
      const T = r.n_times;
      const od = opticalDensity(referenceArray(r.raw_intensity), C, T);
      const odTol = r.optical_density.tol;
      expect(referenceError(od, referenceArray(r.optical_density.data), odTol.metric)).toBeLessThan(odTol.f64);
      const chans = r.ch_names.map((label: string) => ({ label }));
      const hb = beerLambert(od, chans, T, r.source_detector_distances_m, r.beer_lambert.ppf);
      expect(hb.labels).toEqual(r.beer_lambert.ch_names_out);
      const tol = r.beer_lambert.tol;
      expect(referenceError(hb.data, referenceArray(r.beer_lambert.data), tol.metric)).toBeLessThan(tol.f64);
    });

    it(`${r.recording}: the same chain from our SNIRF reader (float32 samples, probe distances)`, async () => {
      const rec = await readSnirf(sharedBytes(`data/snirf/${r.recording}.snirf`), `${r.recording}.snirf`);
      const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
      const ch = s.descriptor.channels;
      const T = s.timestampsMs.length;
      const raw = new Float64Array(ch.length * T);
      ch.forEach((_, c) => raw.set(channelData(s, c), c * T));
      const dist = sourceDetectorDistances(ch, rec.probe!.sourcePositionsM, rec.probe!.detectorPositionsM);
      Array.from(dist).forEach((d, i) => expect(d).toBeCloseTo(r.source_detector_distances_m[i], 12));
      const hb = beerLambert(opticalDensity(raw, ch.length, T), ch, T, dist, 6);
      expect(referenceError(hb.data, referenceArray(r.beer_lambert.data), 'nmax')).toBeLessThan(r.beer_lambert.tol.f32);
    });
  }

  it("extinction × 0.2303 equals MNE's abs_coef at 690 and 830 nm", () => {
    const abs = (referenceJson('fnirs').recordings[0] as any).beer_lambert.abs_coef as number[][];
    expect(extinctionCoefficients(690).map((e) => e * 0.2303)).toEqual(abs[0].map((v) => expect.closeTo(v, 9)));
    expect(extinctionCoefficients(830).map((e) => e * 0.2303)).toEqual(abs[1].map((v) => expect.closeTo(v, 9)));
  });
});

describe('fNIRS channels and features', () => {
  it('parses MNE-style labels and refuses what cannot be converted', () => {
    expect(parseNirsChannel({ label: 'S2_D10 760' })).toEqual({ pair: 'S2_D10', source: 2, detector: 10, kind: 760 });
    expect(parseNirsChannel({ label: 'S1_D1 hbr' })?.kind).toBe('hbr');
    expect(parseNirsChannel({ label: 'Fp1' })).toBeNull();
    expect(() => beerLambert(new Float64Array(2), [{ label: 'S1_D1 690' }, { label: 'S1_D2 830' }], 1, [0.03, 0.03])).toThrow(/pair S1_D1 has 1 wavelengths/);
    expect(() => beerLambert(new Float64Array(2), [{ label: 'S1_D1 690' }, { label: 'S1_D1 1200' }], 1, [0.03, 0.03])).toThrow(/1200 nm/);
    expect(() => opticalDensity(Float64Array.of(1, 0, 2), 1, 3)).toThrow(/zero intensity at sample 1/);
  });

  it('mean, slope (per second) and signed peak after baseline correction', () => {
    const fs = 10;
    const T = 200;
    // ch0: 5 until sample 100, then rising 0.5 per second; ch1: a negative Gaussian bump peaking at sample 130.
    const x = new Float64Array(2 * T);
    for (let t = 0; t < T; t++) {
      x[t] = t < 100 ? 5 : 5 + 0.5 * ((t - 100) / fs);
      x[T + t] = -3 * Math.exp(-(((t - 130) / 10) ** 2));
    }
    const f = windowFeatures(x, 2, T, [100], { sampleRateHz: fs, windowSeconds: [0, 5], baselineSeconds: [-2, 0], features: ['mean', 'slope', 'peak'] });
    // ch0 window: 0.5·k/10 for k = 0…50 after removing the baseline 5 → mean 1.25, slope 0.5 /s, peak 2.5.
    expect(f.data[0]).toBeCloseTo(1.25, 12);
    expect(f.data[1]).toBeCloseTo(0.5, 12);
    expect(f.data[2]).toBeCloseTo(2.5, 12);
    let base = 0;
    for (let t = 80; t <= 100; t++) base += x[T + t] / 21;
    expect(f.data[5]).toBeCloseTo(-3 - base, 12);
    expect(() => windowFeatures(x, 2, T, [190], { sampleRateHz: fs, windowSeconds: [0, 5], baselineSeconds: null, features: ['mean'] })).toThrow(/trial 0 at sample 190/);
  });
});

import { describe, expect, it } from 'vitest';
import { bessel, besselord, buttord, butter, cheb1ord, cheby1, fminbound, sosMagnitudeAt } from './filter-design';
import fixtures from './fixtures/order-fixtures.json';

// Cases written by fixtures/make-order-fixtures.py from scipy.signal.buttord / cheb1ord.
interface Case {
  func: 'buttord' | 'cheb1ord';
  wp: number | number[];
  ws: number | number[];
  gpass: number;
  gstop: number;
  fs: number;
  order: number;
  wn: number[];
  call: string;
}
const cases = fixtures.cases as Case[];

describe('buttord / cheb1ord against SciPy', () => {
  it('covers every band type and tolerance', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });
  for (const c of cases) {
    it(c.call, () => {
      const got = (c.func === 'buttord' ? buttord : cheb1ord)(c.wp, c.ws, c.gpass, c.gstop, c.fs);
      expect(got.order).toBe(c.order);
      const wn = typeof got.naturalHz === 'number' ? [got.naturalHz] : got.naturalHz;
      expect(wn.length).toBe(c.wn.length);
      const bandstop = Array.isArray(c.wp) && (c.wp as number[])[0] < (c.ws as number[])[0];
      for (let i = 0; i < wn.length; i++) expect(Math.abs(wn[i] - c.wn[i]) / c.wn[i]).toBeLessThanOrEqual(bandstop ? 1e-6 : 1e-12);
    });
  }

  it('the order it picks meets the specification (and one less does not)', () => {
    for (const c of cases.filter((x) => x.func === 'buttord' && !Array.isArray(x.wp) && x.order <= 64)) {
      const e = buttord(c.wp, c.ws, c.gpass, c.gstop, c.fs);
      const loss = (sos: Float64Array, f: number) => -20 * Math.log10(sosMagnitudeAt(sos, f, c.fs));
      const sos = butter(e.order, e.naturalHz, e.btype, c.fs);
      expect(loss(sos, c.wp as number)).toBeLessThanOrEqual(c.gpass + 1e-9);
      expect(loss(sos, c.ws as number)).toBeGreaterThanOrEqual(c.gstop - 1e-9);
      if (e.order > 1) {
        const less = butter(e.order - 1, e.naturalHz, e.btype, c.fs);
        expect(loss(less, c.ws as number) >= c.gstop && loss(less, c.wp as number) <= c.gpass).toBe(false);
      }
    }
    const c = cheb1ord([8, 30], [6, 35], 1, 40, 250);
    const sos = cheby1(c.order, 1, c.naturalHz, c.btype, 250);
    expect(-20 * Math.log10(sosMagnitudeAt(sos, 6, 250))).toBeGreaterThanOrEqual(40);
    expect(-20 * Math.log10(sosMagnitudeAt(sos, 35, 250))).toBeGreaterThanOrEqual(40);
  });

  it('rejects edges that do not nest, lie outside (0, Nyquist) or gstop ≤ gpass', () => {
    expect(() => buttord([8, 30], [10, 35], 3, 40, 250)).toThrow(/nest/);
    expect(() => buttord(30, 130, 3, 40, 250)).toThrow(/Nyquist/);
    expect(() => cheb1ord(30, 40, 40, 3, 250)).toThrow(/gstop/);
    expect(() => buttord(30, [40, 50], 3, 40, 250)).toThrow(/both/);
  });
});

describe('besselord (no SciPy counterpart: smallest order meeting the spec)', () => {
  it('meets the specification at the edges with the lowest such order', () => {
    for (const [pass, stop, btype] of [[30, 60, 'lowpass'], [8, 3, 'highpass']] as const) {
      const e = besselord(pass, stop, 3, 20, 250);
      expect(e.met).toBe(true);
      expect(e.btype).toBe(btype);
      const ok = bessel(e.order, e.naturalHz, e.btype, 250, 'phase');
      expect(-20 * Math.log10(sosMagnitudeAt(ok, pass, 250))).toBeLessThanOrEqual(3 + 1e-6);
      expect(-20 * Math.log10(sosMagnitudeAt(ok, stop, 250))).toBeGreaterThanOrEqual(20);
      // order − 1 with the pass-edge loss at its limit misses the stop band: sweep its corner
      let best = -Infinity;
      for (let k = 1; k < 400; k++) {
        const fc = btype === 'lowpass' ? pass + (k / 400) * (124.9 - pass) : (k / 400) * pass;
        const less = bessel(e.order - 1, fc, btype, 250, 'phase');
        if (-20 * Math.log10(sosMagnitudeAt(less, pass, 250)) <= 3) best = Math.max(best, -20 * Math.log10(sosMagnitudeAt(less, stop, 250)));
      }
      expect(best).toBeLessThan(20);
    }
    const band = besselord([8, 30], [3, 60], 3, 20, 250);
    expect(band.met).toBe(true);
    const sos = bessel(band.order, band.naturalHz, 'bandpass', 250, 'phase');
    for (const f of [8, 30]) expect(-20 * Math.log10(sosMagnitudeAt(sos, f, 250))).toBeLessThanOrEqual(3);
    for (const f of [3, 60]) expect(-20 * Math.log10(sosMagnitudeAt(sos, f, 250))).toBeGreaterThanOrEqual(20);
  });
  it('reports met: false when the spec is out of reach', () => {
    const e = besselord(40, 41, 0.1, 80, 250);
    expect(e.met).toBe(false);
    expect(e.order).toBe(25);
  });
});

describe('fminbound', () => {
  it('finds the minimum of smooth functions within xtol, like scipy.optimize.fminbound', () => {
    expect(Math.abs(fminbound((x) => (x - 1.234) ** 2, -5, 5) - 1.234)).toBeLessThan(1e-5);
    expect(Math.abs(fminbound((x) => Math.cos(x), 3, 4) - Math.PI)).toBeLessThan(1e-5);
    // monotone: the minimum sits at a bound
    expect(fminbound((x) => x, 2, 3)).toBeLessThan(2 + 1e-4);
  });
});

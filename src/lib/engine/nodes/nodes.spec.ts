import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../../tests/support/shared';
import { framesFromChannelMajor, toChannelMajor } from '../packets';
import { copyPacket, feedChunks, makeStream, randomChunks, instantiate } from '../testing';
import type { EpochsPacket, FramesPacket, MarkersPacket, NodeClass, SpectrumPacket } from '../types';
import { bipolar, rereference, selectChannels } from './channels';
import { dcBlock, decimateNode, detrend, firFilter, iirFilter, movingAverage, notchFilter, resample } from './filters';
import { builtinRegistry } from './index';
import mtFixtures from '../../dsp/fixtures/multitaper-fixtures.json';
import { assignTargets, rewriteMarkers } from './markers';
import { logNode, varianceNode, zscoreNode, clipNode, thresholdNode } from './math';
import { bandPowerNode, fftMagnitude, multitaperSpectrum, spectrogram, welchSpectrum } from './spectral';
import { baselineRemoval, segmentation, slidingWindow } from './time';
import { classMean } from './ml';
import { classInfo } from '../registry';

const caseOf = (family: string, id: string) => (referenceJson(family).cases as any[]).find((c) => c.id === id);

/** The whole reference input as one epoch. */
function wholeEpoch(stream: ReturnType<typeof makeStream>, x: Float64Array, n: number): EpochsPacket {
  const f = framesFromChannelMajor(stream, x, n);
  return { kind: 'epochs', stream, items: [{ timestampMs: f.timestampsMs[n - 1], startMs: 0, samples: f.samples, frames: n }] };
}

describe('filter.iir order: null derives the order from the transition band (SciPy buttord / cheb1ord)', () => {
  // [node params, fixture call] — the fixture holds SciPy's order and natural frequencies
  const cases: [Record<string, unknown>, string][] = [
    [{ frequencies: [6, 8, 30, 35], mode: 'bandpass', stop_atten: 40 }, 'scipy.signal.buttord([8, 30], [6, 35], 3.0, 40.0, fs=250)'],
    [{ frequencies: [30, 40], mode: 'lowpass', pass_loss: 0.5, stop_atten: 50 }, 'scipy.signal.buttord(30, 40, 0.5, 50.0, fs=250)'],
    [{ frequencies: [0.5, 1], mode: 'highpass', design: 'cheby1', pass_loss: 1, stop_atten: 60 }, 'scipy.signal.cheb1ord(1, 0.5, 1.0, 60.0, fs=250)'],
    [{ frequencies: [45, 48, 52, 55], mode: 'bandstop', stop_atten: 20 }, 'scipy.signal.buttord([45, 55], [48, 52], 3.0, 20.0, fs=250)'],
  ];
  it('equals a causal filter designed with the order and natural frequencies SciPy gives, in any chunking', async () => {
    const { SosFilter } = await import('../../dsp/iir');
    const { butter, cheby1 } = await import('../../dsp/filter-design');
    const fx = (await import('../../dsp/fixtures/order-fixtures.json')).default.cases as { call: string; order: number; wn: number[] }[];
    const L = 4096;
    const s1 = makeStream(1, 250);
    const imp = new Float64Array(L);
    imp[0] = 1;
    for (const [params, call] of cases) {
      const ref = fx.find((c) => c.call === call)!;
      expect(ref, call).toBeDefined();
      const wn = ref.wn.length === 1 ? ref.wn[0] : ref.wn;
      const mode = params.mode as 'bandpass';
      const sos = params.design === 'cheby1' ? cheby1(ref.order, params.pass_loss as number, wn, mode, 250) : butter(ref.order, wn, mode, 250);
      const want = new SosFilter(sos, 1).process(new Float32Array(imp));
      const { outputs } = feedChunks(iirFilter, { ...params, order: null }, framesFromChannelMajor(s1, imp, L), randomChunks(L, 5, 300));
      expect(Array.from((outputs.data as FramesPacket).samples), call).toEqual(Array.from(want));
    }
  });
  it('keeps order 4 when only corners are given, and rejects a transition that needs more than the design supports (64)', () => {
    const L = 512;
    const s1 = makeStream(1, 250);
    const x = new Float64Array(L).map((_, n) => Math.sin(n / 3));
    const a = feedChunks(iirFilter, { frequencies: [8, 30], order: null }, framesFromChannelMajor(s1, x, L), [L]).outputs.data as FramesPacket;
    const b = feedChunks(iirFilter, { frequencies: [8, 30], order: 4 }, framesFromChannelMajor(s1, x, L), [L]).outputs.data as FramesPacket;
    expect(Array.from(a.samples)).toEqual(Array.from(b.samples));
    const { node } = instantiate(iirFilter, { frequencies: [29.9, 30, 40, 40.1], order: null, stop_atten: 80 });
    expect(() => node.process({ data: framesFromChannelMajor(s1, x, L) })).toThrow(/need order \d+/);
  });
});

describe('numeric nodes against SciPy (through the node)', needsShared, () => {
  const x = hasShared ? referenceArray(referenceJson('filtering').inputs.x) : new Float64Array(0);
  const C = 8;
  const N = 2500;
  const stream = makeStream(C, 250);
  const signal = () => framesFromChannelMajor(stream, x, N);

  it('filter.iir (cheby1, bessel, butter) and filter.notch: frequency response of the node = SciPy freqz', async () => {
    const { rfftMagnitude } = await import('../../dsp/fft');
    const fd = referenceJson('filter_design');
    const mags = referenceArray(fd.freqz_mag);
    const cases: [string, NodeClass, Record<string, unknown>][] = [
      ['cheby1_N4_rp0.5_bandpass_8-30Hz_fs250', iirFilter, { design: 'cheby1', order: 4, pass_loss: 0.5, frequencies: [8, 30], mode: 'bandpass' }],
      ['cheby1_N6_rp1_lowpass_40Hz_fs1000', iirFilter, { design: 'cheby1', order: 6, pass_loss: 1, frequencies: [40], mode: 'lowpass' }],
      ['bessel_N4_lowpass_40Hz_fs250_phase', iirFilter, { design: 'bessel', order: 4, frequencies: [40], mode: 'lowpass' }],
      ['bessel_N4_bandpass_1-40Hz_fs1000_phase', iirFilter, { design: 'bessel', order: 4, frequencies: [1, 40], mode: 'bandpass' }],
      ['butter_N2_lowpass_40Hz_fs250', iirFilter, { order: 2, frequencies: [40], mode: 'lowpass' }],
      ['iirnotch_50Hz_Q30_fs250', notchFilter, { frequency: 50, quality: 30 }],
    ];
    for (const [id, cls, params] of cases) {
      const d = (fd.designs as any[]).find((x) => x.id === id);
      const m = 64; // impulse response of 64·1024 samples: bins k·m of its rFFT sit on freqz's grid k·fs/1024
      const L = 1024 * m;
      const imp = new Float64Array(L);
      imp[0] = 1;
      const s = makeStream(1, d.params.fs);
      const { outputs } = feedChunks(cls, params, framesFromChannelMajor(s, imp, L), randomChunks(L, 21, 5000));
      const mag = rfftMagnitude(Float64Array.from((outputs.data as FramesPacket).samples), 1, L);
      const got = Float64Array.from({ length: 512 }, (_, k) => mag[k * m]);
      expect(referenceError(got, mags.subarray(d.freqz_row * 512, d.freqz_row * 512 + 512), 'nmax'), id).toBeLessThan(d.tol.freqz_mag.f32);
    }
  });

  it('spectral.welch = scipy.signal.welch (density and spectrum)', () => {
    for (const [id, scaling] of [
      ['welch_density', 'density'],
      ['welch_spectrum', 'spectrum'],
    ] as const) {
      const c = caseOf('spectral', id);
      const { node } = instantiate(welchSpectrum, { segment_samples: 256, overlap_samples: 128, scaling });
      const sp = node.process({ data: wholeEpoch(stream, x, N) })!.data as SpectrumPacket;
      expect(referenceError(sp.freqsHz, c.expected.f, 'nmax')).toBeLessThan(c.tol.f.f64);
      expect(referenceError(sp.items[0].values, referenceArray(c.expected.Pxx), 'nmax')).toBeLessThan(c.tol.Pxx.f32);
    }
  });

  it('spectral.band-power (trapezoid, Simpson, relative) = SciPy integrals of the Welch PSD', () => {
    const c = caseOf('spectral', 'band_power_welch');
    const { node: w } = instantiate(welchSpectrum, { segment_samples: 256 });
    const psd = w.process({ data: wholeEpoch(stream, x, N) })!.data as SpectrumPacket;
    for (const [rule, relative, key] of [
      ['trapezoid', false, 'trapezoid'],
      ['simpson', false, 'simpson'],
      ['trapezoid', true, 'relative_trapezoid'],
    ] as const) {
      const { node } = instantiate(bandPowerNode, { bands: c.bands_hz, rule, relative, total: [0.5, 45] });
      const f = node.process({ data: psd })!.data as FramesPacket;
      expect(f.stream.channels[1].label).toBe('ch1:theta');
      const exp = c.expected[key] ?? c.expected[Object.keys(c.expected).find((k) => k.startsWith('relative'))!];
      expect(referenceError(f.samples, referenceArray(exp), 'nmax')).toBeLessThan(c.tol.all.f32);
    }
  });

  it('spectral.band-power on a signal (running): windows of 256 every 128 average to the band power of scipy.signal.welch', () => {
    // band power is linear in the PSD, so the mean over Welch's 18 segments' band powers is the band power of their mean
    const c = caseOf('spectral', 'band_power_welch');
    for (const rule of ['trapezoid', 'simpson'] as const) {
      const params = { bands: c.bands_hz, rule, window_length: 256, step: 128, unit: 'samples' };
      const f = feedChunks(bandPowerNode, params, signal(), randomChunks(N, 5, 300)).outputs.data as FramesPacket;
      expect(f.frames).toBe(caseOf('spectral', 'welch_density').details.n_segments);
      expect(f.stream.channels.map((ch) => ch.label).slice(0, 2)).toEqual(['ch1:delta', 'ch1:theta']);
      const mean = new Float64Array(C * 5);
      for (let k = 0; k < f.frames; k++) for (let i = 0; i < mean.length; i++) mean[i] += f.samples[k * mean.length + i] / f.frames;
      expect(referenceError(mean, referenceArray(c.expected[rule]), 'nmax')).toBeLessThan(c.tol.all.f32);
      expect(f.timestampsMs[0]).toBe(signal().timestampsMs[255]); // a window is stamped with its last sample
    }
  });

  it('spectral.spectrogram with one window over the whole signal = scipy.signal.periodogram(hann, spectrum)', () => {
    const c = caseOf('spectral', 'periodogram_hann_spectrum');
    const { outputs } = feedChunks(spectrogram, { window_length: 10, step: 10, window: 'hann', scaling: 'spectrum' }, signal(), randomChunks(N, 8, 700));
    const sp = outputs.data as SpectrumPacket;
    expect(sp.items).toHaveLength(1);
    const key = Object.keys(c.expected).find((k) => k !== 'f')!;
    const tol = c.tol[key] ?? Object.values(c.tol)[0];
    expect(referenceError(sp.items[0].values, referenceArray(c.expected[key]), 'nmax')).toBeLessThan(tol.f32);
  });

  it('spectral.fft = |rfft(x)|', () => {
    const c = caseOf('spectral', 'rfft_magnitude');
    const { node } = instantiate(fftMagnitude, {});
    const sp = node.process({ data: wholeEpoch(stream, x, N) })!.data as SpectrumPacket;
    expect(sp.freqsHz[1]).toBeCloseTo(0.1, 12);
    expect(referenceError(sp.items[0].values, referenceArray(c.expected.mag), 'nmax')).toBeLessThan(c.tol.mag.f32);
  });

  it('channels.rereference average = MNE set_eeg_reference("average")', () => {
    const c = caseOf('stats', 'car');
    const { outputs } = feedChunks(rereference, {}, signal(), randomChunks(N, 1));
    const y = outputs.data as FramesPacket;
    expect(referenceError(toChannelMajor(y.samples, N, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
  });

  it('math.zscore (recording mode, offline) = scipy.stats.zscore', () => {
    const c = caseOf('stats', 'zscore');
    const { outputs } = feedChunks(zscoreNode, { mode: 'recording' }, signal(), randomChunks(N, 2), { offline: true });
    const y = outputs.data as FramesPacket;
    expect(referenceError(toChannelMajor(y.samples, N, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
  });

  it('segmentation → variance → log = numpy.var / log-var of 1 s epochs', () => {
    const c = caseOf('stats', 'epoch_variance');
    const sig = signal();
    const markers = Array.from({ length: 10 }, (_, e) => ({ timestampMs: sig.timestampsMs[250 * e], value: 'ep' }));
    const { outputs } = feedChunks(segmentation, { time_bounds: [0, 249 / 250] }, sig, randomChunks(N, 3, 400), { markers });
    const ep = outputs.data as EpochsPacket;
    expect(ep.items.map((e) => e.frames)).toEqual(new Array(10).fill(250));
    for (const ddof of [0, 1]) {
      const { node } = instantiate(varianceNode, { degrees_of_freedom: ddof });
      const v = node.process({ data: ep })!.data as FramesPacket;
      expect(referenceError(v.samples, referenceArray(c.expected[`var_ddof${ddof}`]), 'nmax')).toBeLessThan(c.tol.var.f32);
      if (ddof === 0) {
        const { node: lg } = instantiate(logNode, {});
        const l = lg.process({ data: v })!.data as FramesPacket;
        const key = Object.keys(c.expected).find((k) => k.startsWith('logvar') && k.includes('0'))!;
        expect(referenceError(l.samples, referenceArray(c.expected[key]), 'abs')).toBeLessThan(c.tol.logvar.f32);
      }
    }
    // Sliding windows of 250 samples every 250 samples are the same epochs.
    const { outputs: sw } = feedChunks(slidingWindow, { window_length: 250, step: 250, unit: 'samples' }, sig, randomChunks(N, 4));
    expect(Array.from((sw.data as EpochsPacket).items[3].samples)).toEqual(Array.from(ep.items[3].samples));
  });

  it('filter.resample = resample_poly (250→100, 256→250) incl. the zero-padded tail, any chunking', () => {
    for (const [id, inKey, fs] of [
      ['resample_poly_250_to_100', 'x250', 250],
      ['resample_poly_256_to_250', 'x256', 256],
    ] as const) {
      const c = caseOf('resample', id);
      const inp = referenceJson('resample').inputs[inKey];
      const xin = referenceArray(inp);
      const n = inp.shape[1];
      const s = makeStream(C, fs);
      const { outputs } = feedChunks(resample, { rate: c.fs_out }, framesFromChannelMajor(s, xin, n), randomChunks(n, 5, 300), { offline: true });
      const y = outputs.data as FramesPacket;
      expect(y.frames).toBe(c.n_out);
      expect(y.stream.sampleRateHz).toBe(c.fs_out);
      expect(referenceError(toChannelMajor(y.samples, y.frames, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
    }
  });

  it('filter.decimate zero_phase offline = scipy.signal.decimate(q=4, zero_phase=True)', () => {
    const c = caseOf('resample', 'decimate_q4_iir_zero_phase');
    const { outputs } = feedChunks(decimateNode, { factor: 4, zero_phase: true }, signal(), randomChunks(N, 6), { offline: true });
    const y = outputs.data as FramesPacket;
    expect(y.frames).toBe(625);
    expect(referenceError(toChannelMajor(y.samples, 625, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
  });
});

describe('chunk invariance and state carry-over of every stateful node', () => {
  const C = 5;
  const N = 3000;
  const stream = makeStream(C, 250);
  const data = new Float64Array(C * N);
  for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) data[c * N + n] = 20 * Math.sin(2 * Math.PI * (3 + c) * n / 250) + 5 * Math.sin(n * 0.77 + c) + 10 * c;
  const sig = framesFromChannelMajor(stream, data, N, 1000);
  const markers = [300, 777, 1500, 2222, 2900].map((i, k) => ({ timestampMs: sig.timestampsMs[i], value: k % 2 ? 'left' : 'right' }));

  const cases: [NodeClass, Record<string, unknown>][] = [
    [iirFilter, { frequencies: [1, 30], order: 4 }],
    [iirFilter, { frequencies: [8, 12], design: 'cheby1', order: 3 }],
    [iirFilter, { frequencies: [20], mode: 'lowpass', design: 'bessel' }],
    [notchFilter, { frequency: 50, harmonics: 2 }],
    [firFilter, { frequencies: [1, 2, 30, 35] }],
    [movingAverage, { window_length: 0.1 }],
    [dcBlock, { cutoff: 0.5 }],
    [resample, { rate: 100 }],
    [resample, { rate: 128 }],
    [decimateNode, { factor: 3 }],
    [slidingWindow, { window_length: 0.5, step: 0.3 }],
    [segmentation, { time_bounds: [-0.2, 0.5], baseline: [-0.2, 0] }],
    [spectrogram, { window_length: 0.5, step: 0.2 }],
    [zscoreNode, { mode: 'running', halflife: 1 }],
    [bandPowerNode, { window_length: 0.5, step: 0.05, relative: true }],
  ];

  for (const [cls, params] of cases) {
    it(`${cls.type} ${JSON.stringify(params)}`, () => {
      const one = feedChunks(cls, params, sig, [N], { markers }).outputs.data!;
      expect(one).toBeDefined();
      for (const seed of [11, 12]) {
        const many = feedChunks(cls, params, sig, randomChunks(N, seed, seed === 11 ? 13 : 400), { markers }).outputs.data!;
        expect(JSON.stringify(summary(many))).toBe(JSON.stringify(summary(one)));
      }
    });
  }

  function summary(p: any): unknown {
    if (p.kind === 'signal' || p.kind === 'features') return { f: p.frames, s: Array.from(p.samples), t: Array.from(p.timestampsMs) };
    if (p.kind === 'epochs') return p.items.map((e: any) => ({ t: e.timestampMs, s: Array.from(e.samples) }));
    if (p.kind === 'spectrum') return p.items.map((e: any) => ({ t: e.timestampMs, v: Array.from(e.values) }));
    return p;
  }

  it('spectral.band-power on a signal = sliding window → Welch (one segment) → band power, in any chunking', () => {
    const bands = { alpha: [8, 13], beta: [13, 30], low: [0, 4] };
    for (const [window, detrend, relative, rule] of [
      ['hann', 'constant', false, 'trapezoid'],
      ['hamming', 'none', true, 'simpson'],
      ['boxcar', 'constant', true, 'trapezoid'],
    ] as const) {
      const chain = (x: FramesPacket): FramesPacket => {
        const { node: sw } = instantiate(slidingWindow, { window_length: 0.6, step: 0.04 });
        const { node: w } = instantiate(welchSpectrum, { segment_samples: 150, window, detrend });
        const { node: bp } = instantiate(bandPowerNode, { bands, relative, rule });
        return copyPacket(bp.process(w.process(sw.process({ data: x })!)!)!.data!) as FramesPacket;
      };
      const want = chain(sig);
      const params = { bands, relative, rule, window, detrend, window_length: 0.6, step: 0.04 };
      for (const sizes of [[N], randomChunks(N, 31, 23)]) {
        const got = feedChunks(bandPowerNode, params, sig, sizes).outputs.data as FramesPacket;
        expect(got.frames).toBe(want.frames);
        expect(Array.from(got.timestampsMs)).toEqual(Array.from(want.timestampsMs));
        expect(referenceError(got.samples, want.samples, 'nmax'), `${window} ${detrend} ${relative}`).toBeLessThan(1e-6); // float32 outputs
      }
    }
  });

  it('spectral.band-power on a signal keeps its history when only the descriptor object changes, and starts afresh on a new layout', () => {
    const params = { window_length: 0.5, step: 0.1 };
    const { node } = instantiate(bandPowerNode, params);
    const half = 600;
    const a = node.process({ data: { ...sig, frames: half, samples: sig.samples.subarray(0, half * C), timestampsMs: sig.timestampsMs.subarray(0, half) } })?.data as FramesPacket;
    const aFrames = a.frames;
    const b = node.process({ data: { ...sig, stream: { ...stream }, frames: 100, samples: sig.samples.subarray(half * C, (half + 100) * C), timestampsMs: sig.timestampsMs.subarray(half, half + 100) } })?.data as FramesPacket;
    expect(aFrames + b.frames).toBe(1 + Math.floor((half + 100 - 125) / 25)); // windows continue across the new descriptor
    const other = makeStream(C + 1, 250);
    const wider = { kind: 'signal' as const, stream: other, frames: 100, samples: new Float32Array(100 * (C + 1)), timestampsMs: new Float64Array(100) };
    expect(node.process({ data: wider })).toBeUndefined(); // a new layout: no window until 125 new samples
  });

  it('spectral.band-power on a signal: a window too short for a spectrum is refused with what is wrong', () => {
    const { node } = instantiate(bandPowerNode, { window_length: 1, step: 1, unit: 'samples' });
    expect(() => node.process({ data: sig })).toThrow(/window_length .* at least 2/);
  });

  it('spectral.band-power on a signal: a NaN makes its channel NaN while in the window, is logged, and the channel recovers', () => {
    const bad = copyPacket(sig) as FramesPacket;
    bad.samples[1000 * C + 2] = NaN;
    const params = { window_length: 0.5, step: 0.1 };
    const good = feedChunks(bandPowerNode, params, sig, [N]).outputs.data as FramesPacket;
    const { outputs, logs } = feedChunks(bandPowerNode, params, bad, randomChunks(N, 3, 50));
    const got = outputs.data as FramesPacket;
    const width = C * 5;
    for (let k = 0; k < got.frames; k++) {
      const end = Math.round((got.timestampsMs[k] - sig.timestampsMs[0]) / 4); // frame index at 250 Hz
      const inWindow = end >= 1000 && end - 125 < 1000;
      for (let i = 0; i < width; i++) {
        const channel = Math.floor(i / 5);
        if (channel === 2 && inWindow) expect(got.samples[k * width + i]).toBeNaN();
        else expect(got.samples[k * width + i]).toBeCloseTo(good.samples[k * width + i], 3);
      }
    }
    expect(logs.filter((l) => l.level === 30 && /non-finite/.test(l.message))).toHaveLength(1);
  });

  it('spectral.welch over a packet of many windows = one window at a time', () => {
    const { node: sw } = instantiate(slidingWindow, { window_length: 128, step: 100, unit: 'samples' });
    const wins = sw.process({ data: sig })!.data as EpochsPacket;
    expect(wins.items.length).toBeGreaterThan(20);
    const { node: w } = instantiate(welchSpectrum, { segment_samples: 64 });
    // copied: a packet's arrays are valid during its step only (the node reuses them)
    const all = copyPacket(w.process({ data: wins })!.data!) as SpectrumPacket;
    for (const k of [0, 7, wins.items.length - 1]) {
      const one = w.process({ data: { ...wins, items: [wins.items[k]] } })!.data as SpectrumPacket;
      expect(Array.from(all.items[k].values)).toEqual(Array.from(one.items[0].values));
    }
    expect(all.items[0].values[3]).not.toBe(all.items[7].values[3]);
  });

  it('segmentation online_epoching "sliding": online, the latest window on every chunk; offline, marker-locked', () => {
    const online = feedChunks(segmentation, { time_bounds: [-0.2, 0], online_epoching: 'sliding' }, sig, [30, 40, 50, 60], { markers });
    const ep = online.outputs.data as EpochsPacket;
    expect(ep.items.map((e) => e.frames)).toEqual([51, 51, 51]);
    expect(Array.from(ep.items[2].samples.subarray(-C))).toEqual(Array.from(sig.samples.subarray(179 * C, 180 * C)));
    const offline = feedChunks(segmentation, { time_bounds: [-0.2, 0], online_epoching: 'sliding' }, sig, [N], { markers, offline: true });
    expect((offline.outputs.data as EpochsPacket).items.map((e) => e.marker)).toEqual(markers.map((m) => m.value));
  });

  it('a filter recovers after NaN input (state reset + warning)', () => {
    const bad = framesFromChannelMajor(stream, data.map((v, i) => (i === 2 * N + 500 ? NaN : v)), N);
    const { outputs, logs } = feedChunks(iirFilter, { frequencies: [1, 30], order: 4 }, bad, randomChunks(N, 9));
    const y = outputs.data as FramesPacket;
    expect(logs.some((l) => l.level === 30 && /non-finite/.test(l.message))).toBe(true);
    for (let n = 1200; n < N; n++) expect(Number.isFinite(y.samples[n * C + 2])).toBe(true);
    const fir = feedChunks(firFilter, { frequencies: [1, 30], order: 64 }, bad, [400, 110, 2490]);
    expect(fir.logs.some((l) => l.level === 30 && /non-finite/.test(l.message))).toBe(true);
    const yf = fir.outputs.data as FramesPacket;
    for (let n = 510; n < N; n++) expect(Number.isFinite(yf.samples[n * C + 2])).toBe(true);
  });
});

describe('channel, marker and element-wise nodes', () => {
  const stream = makeStream(['Fp1', 'C3..', 'C4', 'M1', 'M2'], 100);
  stream.channels[4] = { ...stream.channels[4], type: 'MISC' };
  const sig = framesFromChannelMajor(stream, Float64Array.from({ length: 5 * 4 }, (_, i) => i), 4);

  it('channels.select by names (EDF dots ignored), indices, types and range strings', () => {
    const pick = (params: Record<string, unknown>) => (instantiate(selectChannels, params).node.process({ data: sig })!.data as FramesPacket).stream.channels.map((c) => c.label);
    expect(pick({ selection: ['c3', 'Fp1'] })).toEqual(['C3..', 'Fp1']);
    expect(pick({ selection: [4, 0], unit: 'indices' })).toEqual(['M2', 'Fp1']);
    expect(pick({ selection: ['MISC'], unit: 'types' })).toEqual(['M2']);
    expect(pick({ selection: '1:3' })).toEqual(['C3..', 'C4']);
    expect(() => pick({ selection: ['Oz'] })).toThrow(/"Oz" not in stream/);
  });

  it('SelectRange on spectra: frequency bins by Hz range or indices, channels by name', () => {
    const spec: SpectrumPacket = {
      kind: 'spectrum',
      stream,
      freqsHz: Float64Array.from({ length: 11 }, (_, k) => k * 2),
      scaling: 'density',
      items: [{ timestampMs: 0, values: Float64Array.from({ length: 5 * 11 }, (_, i) => i) }],
    };
    const hz = instantiate(selectChannels, { axis: 'frequency', unit: 'Hz', selection: '8...13' }).node.process({ data: spec })!.data as SpectrumPacket;
    expect(Array.from(hz.freqsHz)).toEqual([8, 10, 12]);
    expect(Array.from(hz.items[0].values.subarray(3, 6))).toEqual([15, 16, 17]);
    const ix = instantiate(selectChannels, { axis: 'frequency', unit: 'indices', selection: '0:2' }).node.process({ data: spec })!.data as SpectrumPacket;
    expect(Array.from(ix.freqsHz)).toEqual([0, 2]);
    const ch = instantiate(selectChannels, { selection: ['C4'] }).node.process({ data: spec })!.data as SpectrumPacket;
    expect(ch.stream.channels.map((c) => c.label)).toEqual(['C4']);
    expect(Array.from(ch.items[0].values)).toEqual(Array.from({ length: 11 }, (_, k) => 22 + k));
    expect(() => instantiate(selectChannels, { axis: 'frequency', unit: 'Hz', selection: '100...200' }).node.process({ data: spec })).toThrow(/keeps no bin/);
  });

  it('linked mastoids, channel reference and bipolar derivations', () => {
    const lm = instantiate(rereference, { mode: 'linked-mastoids' }).node.process({ data: sig })!.data as FramesPacket;
    // frame 0: Fp1 = 0, M1 = 12, M2 = 16 → Fp1 − 14
    expect(lm.samples[0]).toBe(0 - 14);
    const ch = instantiate(rereference, { mode: 'channels', reference_channels: ['C4'], exclude: ['M2'] }).node.process({ data: sig })!.data as FramesPacket;
    expect(Array.from(ch.samples.subarray(0, 5))).toEqual([0 - 8, 4 - 8, 0, 12 - 8, 16]);
    const bp = instantiate(bipolar, { pairs: ['Fp1-C4', ['C3', 'M1']] }).node.process({ data: sig })!.data as FramesPacket;
    expect(bp.stream.channels.map((c) => c.label)).toEqual(['Fp1-C4', 'C3-M1']);
    expect(Array.from(bp.samples.subarray(0, 2))).toEqual([0 - 8, 4 - 12]);
  });

  it('element-wise nodes', () => {
    const clip = instantiate(clipNode, { min: 2, max: 10 }).node.process({ data: sig })!.data as FramesPacket;
    expect(Array.from(clip.samples.subarray(0, 5))).toEqual([2, 4, 8, 10, 10]);
    const th = instantiate(thresholdNode, { threshold: 8 }).node.process({ data: sig })!.data as FramesPacket;
    expect(Array.from(th.samples.subarray(0, 5))).toEqual([0, 0, 0, 1, 1]);
    expect(() => instantiate(clipNode, { min: 3, max: 1 })).toThrow(/above max/);
  });

  it('markers.rewrite selects/renames (NeuroPype rule text accepted) and assign-targets labels', () => {
    const m: MarkersPacket = { kind: 'markers', events: ['3', '4', '5', 'stim-7'].map((value, i) => ({ timestampMs: i, value })) };
    const rw = instantiate(rewriteMarkers, { rules: "{'3': 'left', '4': 'right', 'stim-*': 'stim'}", remove_all_others: true }).node.process({ data: m })!.data as MarkersPacket;
    expect(rw.events.map((e) => e.value)).toEqual(['left', 'right', 'stim']);
    const at = instantiate(assignTargets, { mapping: { left: 0, right: 1 } }).node.process({ data: rw })!.data as MarkersPacket;
    expect(at.events.map((e) => e.target)).toEqual([0, 1, undefined]);
    const at2 = instantiate(assignTargets, { mapping: ['right', 'left'] }).node.process({ data: rw })!.data as MarkersPacket;
    expect(at2.events.map((e) => e.target)).toEqual([1, 0, undefined]);
  });
});

describe('epoch nodes and the trainable class-mean node', () => {
  const stream = makeStream(['a', 'b'], 100);
  const frames = 50;
  const ramp = new Float32Array(frames * 2).map((_, i) => (i % 2 ? 5 : 3 * Math.floor(i / 2) + 7));
  const ep: EpochsPacket = { kind: 'epochs', stream, items: [{ timestampMs: 200, startMs: 0, samples: ramp, frames, marker: 'm' }] };

  it('filter.detrend removes a line exactly (linear) or the mean (constant)', () => {
    const lin = instantiate(detrend, { type: 'linear' }).node.process({ data: ep })!.data as EpochsPacket;
    for (const v of lin.items[0].samples) expect(Math.abs(v)).toBeLessThan(1e-4);
    const con = instantiate(detrend, { type: 'constant' }).node.process({ data: ep })!.data as EpochsPacket;
    expect(con.items[0].samples[0]).toBeCloseTo(-3 * 24.5, 4);
    expect(con.items[0].samples[1]).toBe(0);
  });

  it('time.baseline subtracts the mean over [a, b] s relative to the event', () => {
    // event at 200 ms = frame 20; baseline [-0.1, 0] s = frames 10..20 → mean of ramp = 3·15 + 7
    const out = instantiate(baselineRemoval, { baseline: [-0.1, 0] }).node.process({ data: ep })!.data as EpochsPacket;
    expect(out.items[0].samples[15 * 2]).toBeCloseTo(0, 5);
    expect(out.items[0].samples[1]).toBe(0);
    expect(ep.items[0].samples[30]).toBe(3 * 15 + 7);
  });

  it('ml.class-mean: collects labelled frames, fits at the fit marker, then predicts; the model round-trips as JSON', () => {
    const fs = makeStream(['f1', 'f2'], 0, { kind: 'features' });
    const feats = (xs: number[][], targets: number[]): FramesPacket => ({
      kind: 'features',
      stream: fs,
      samples: Float32Array.from(xs.flat()),
      timestampsMs: Float64Array.from(xs.map((_, i) => i)),
      frames: xs.length,
      targets: Float64Array.from(targets),
    });
    const { node } = instantiate(classMean, { fit_marker: 'done' });
    expect(node.process({ data: feats([[0, 0], [0.2, 0.1], [5, 5], [5.1, 4.8]], [0, 0, 1, 1]) })).toBeUndefined();
    expect(node.trainable!.collected).toBe(4);
    node.process({ markers: { kind: 'markers', events: [{ timestampMs: 9, value: 'done' }] } });
    expect(node.trainable!.fitted).toBe(true);
    const out = node.process({ data: feats([[0.1, 0], [4.9, 5.2]], [NaN, NaN]) })!.data as FramesPacket;
    expect(out.stream.channels.map((c) => c.label)).toEqual(['p(0)', 'p(1)', 'predicted']);
    expect([out.samples[2], out.samples[5]]).toEqual([0, 1]);
    expect(out.samples[0]).toBeGreaterThan(0.99);
    const model = JSON.parse(JSON.stringify(node.trainable!.exportModel()));
    const { node: other } = instantiate(classMean, {});
    other.trainable!.importModel(model);
    const again = other.process({ data: feats([[0.1, 0], [4.9, 5.2]], [NaN, NaN]) })!.data as FramesPacket;
    expect(Array.from(again.samples)).toEqual(Array.from(out.samples));
    expect(() => other.trainable!.importModel({ nope: 1 })).toThrow(/not a class-mean model/);
  });
});

describe('NeuroPype compatibility nodes', () => {
  it('load with their GUI parameters, pass data through and show it', async () => {
    const { Execution } = await import('../runtime');
    const ex = new Execution(builtinRegistry(), { info: { logLevel: 10 } });
    const stream = makeStream(2, 10);
    ex.load({
      format: 'neurotab.pipeline',
      version: 1,
      nodes: [
        { id: 'rec', type: 'ImportFile' },
        { id: 'sd', type: 'StreamData', params: { looping: false, timing: 'deterministic' } },
        { id: 'dj', type: 'DejitterTimestamps', params: { forget_halftime: 300 } },
        { id: 'plot', type: 'TimeSeriesPlot', params: { initial_dims: [50, 50, 700, 500], scale: 0.5 } },
        { id: 'print', type: 'PrintToConsole', params: { print_data: true } },
      ],
      edges: [
        { source: 'rec', target: 'sd' },
        { source: 'sd', target: 'dj' },
        { source: 'dj', target: 'plot' },
        { source: 'dj', target: 'print' },
      ],
    });
    const f = framesFromChannelMajor(stream, [1, 2, 3, 4, 5, 6], 3);
    ex.bind('rec', { streams: [{ descriptor: stream, samples: f.samples, timestampsMs: f.timestampsMs }], markers: [] });
    ex.runOffline();
    expect(ex.peek('plot')).toMatchObject({ kind: 'signal', latest: [3, 6] });
    expect(ex.logs().some((l) => l.message.includes('3 frames × 2 ch last [3.000, 6.000]'))).toBe(true);
  });
});

describe('registry metadata', () => {
  const reg = builtinRegistry();
  it('every class is documented, with typed, documented parameters and NeuroPype vocabulary', () => {
    for (const cls of reg.list()) {
      expect(cls.doc.length, cls.type).toBeGreaterThan(40);
      const info = classInfo(cls);
      for (const p of info.params) {
        expect(p.doc.length, `${cls.type}.${p.name}`).toBeGreaterThan(3);
        expect(p.value_type).toMatch(/^builtins\./);
        expect(p.port_type).toMatch(/Port$/);
      }
      // defaults pass their own checks
      expect(() => instantiate(cls, cls.type === 'channels.bipolar' ? { pairs: ['a-b'] } : cls.type === 'markers.assign-targets' ? { mapping: ['a'] } : {})).not.toThrow();
    }
    for (const name of ['LSLInput', 'LSLOutput', 'ImportFile', 'IIRFilter', 'FIRFilter', 'Rereferencing', 'Segmentation', 'WelchSpectrum', 'AssignTargets', 'ParameterPort', 'InspectData', 'SelectRange', 'Variance', 'Logarithm', 'Mean', 'MovingWindow', 'RewriteMarkers', 'Decimate', 'Resample', 'MovingAverage', 'MultitaperSpectrum']) {
      expect(reg.find(name), name).toBeDefined();
    }
    const iir = reg.info('IIRFilter');
    expect(iir.params.find((p) => p.name === 'mode')).toMatchObject({ port_type: 'EnumPort', value_type: 'builtins.str', value_domain: ['bandpass', 'highpass', 'lowpass', 'bandstop'] });
    expect(iir.params.find((p) => p.name === 'frequencies')).toMatchObject({ port_type: 'ListPort', unit: 'Hz' });
    expect(reg.info('filter.notch').params[0].value_domain).toEqual([0.001, 100000]);
  });
});

describe('spectral.multitaper (NeuroPype MultitaperSpectrum) = psd_array_multitaper as MNE defines it', () => {
  const fx = mtFixtures as { x: number[][]; fs: number; psd: { label: string; n: number; freqs: number[]; psd: number[][] }[] };
  const C = fx.x.length;
  const n = fx.psd[0].n;
  const stream = makeStream(C, fx.fs);
  const cm = Float64Array.from(fx.x.flat());
  const epoch = (): EpochsPacket => {
    const f = framesFromChannelMajor(stream, cm, n);
    return { kind: 'epochs', stream, items: [{ timestampMs: f.timestampsMs[n - 1], startMs: 0, samples: f.samples, frames: n, marker: 'm', target: 1 }] };
  };
  for (const [label, params] of [
    ['default', { half_bandwidth: 4, normalization: 'length' }],
    ['bandwidth 4 Hz', { bandwidth: 4, normalization: 'length' }],
    ['adaptive', { half_bandwidth: 4, adaptive: true, normalization: 'length' }],
    ['full normalization, no low_bias', { half_bandwidth: 4, low_bias: false }],
  ] as const) {
    it(`${label}: one spectrum per epoch, channel-major, marker and target kept`, () => {
      const ref = fx.psd.find((c) => c.label === label)!;
      const { node } = instantiate(multitaperSpectrum, params);
      const sp = node.process({ data: epoch() })!.data as SpectrumPacket;
      expect(sp.items.length).toBe(1);
      expect(sp.items[0]).toMatchObject({ marker: 'm', target: 1 });
      expect(Array.from(sp.freqsHz)).toEqual(ref.freqs);
      // float32 samples through the node
      expect(referenceError(sp.items[0].values, ref.psd.flat(), 'nmax')).toBeLessThan(1e-5);
    });
  }
  it('offline on a signal: one spectrum of the whole recording at the end, in any chunking', () => {
    const ref = fx.psd.find((c) => c.label === 'bandwidth 4 Hz')!;
    const sig = framesFromChannelMajor(stream, cm, n);
    const a = feedChunks(multitaperSpectrum, { bandwidth: 4, normalization: 'length' }, sig, randomChunks(n, 3, 60), { offline: true }).outputs.data as SpectrumPacket;
    expect(a.items.length).toBe(1);
    expect(referenceError(a.items[0].values, ref.psd.flat(), 'nmax')).toBeLessThan(1e-5);
  });
  it('after a sliding window: the same spectra however the signal is chunked', () => {
    const sig = framesFromChannelMajor(stream, cm, n);
    const run = (sizes: number[]) => {
      const w = feedChunks(slidingWindow, { window_length: 128, step: 50, unit: 'samples' }, sig, sizes).outputs.data as EpochsPacket;
      const { node } = instantiate(multitaperSpectrum, {});
      return (node.process({ data: w })!.data as SpectrumPacket).items.map((it) => Array.from(it.values));
    };
    const one = run([n]);
    expect(one.length).toBe(8);
    expect(run(randomChunks(n, 4, 37))).toEqual(one);
  });
  it('rejects two-sided output and an NW too large for the epoch', () => {
    expect(() => instantiate(multitaperSpectrum, { onesided: false })).toThrow(/two-sided/);
    const { node } = instantiate(multitaperSpectrum, { half_bandwidth: 300 });
    expect(() => node.process({ data: epoch() })).toThrow(/half the epoch length/);
  });
});

import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../../tests/support/shared';
import { featureAxis, frequencyAxis, instanceAxis, MARKER, spaceAxis, TARGET } from '../axes';
import { makeBlock, selectAlong, sliceAlong, transposeBlock } from '../block';
import { chunkProps, concatPackets, copyPacket, markerChunk, markersOf, packetOf, signalChunk, type Chunk } from '../packet';
import { axisOf, epochsChunk, feedChunks, instantiate, makeStream, only, packet, packetSummary, randomChunks, signalFromChannelMajor, slab, toChannelMajor } from '../testing';
import type { NodeClass } from '../types';
import { bipolar, rereference, selectChannels } from './channels';
import { dcBlock, decimateNode, detrend, firFilter, iirFilter, movingAverage, notchFilter, resample } from './filters';
import { builtinRegistry } from './index';
import { importFile, MarkerQueue, recordingInput, streamInput } from './io';
import { streamData } from './compat';
import mtFixtures from '../../dsp/fixtures/multitaper-fixtures.json';
import { assignTargets, rewriteMarkers } from './markers';
import { logNode, varianceNode, zscoreNode, clipNode, thresholdNode } from './math';
import { bandPowerNode, fftMagnitude, multitaperSpectrum, spectrogram, welchSpectrum } from './spectral';
import { baselineRemoval, segmentation, slidingWindow } from './time';
import { classMean } from './ml';
import { classInfo } from '../registry';

const caseOf = (family: string, id: string) => (referenceJson(family).cases as any[]).find((c) => c.id === id);

/** The whole reference input as one epoch (instance × time × space). */
function wholeEpoch(stream: ReturnType<typeof makeStream>, x: Float64Array, n: number): Chunk {
  const f = signalFromChannelMajor(stream, x, n);
  return epochsChunk(stream, [{ samples: f.block.data, timeMs: axisOf(f, 'time').timesMs[n - 1] }], n);
}

/** One node step on one chunk; the only data chunk out. */
function once(cls: NodeClass, params: Record<string, unknown>, c: Chunk): Chunk {
  return only(instantiate(cls, params).node.process({ data: packet(c) })!.data);
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
      const { outputs } = feedChunks(iirFilter, { ...params, order: null }, signalFromChannelMajor(s1, imp, L), randomChunks(L, 5, 300));
      expect(Array.from(only(outputs.data).block.data), call).toEqual(Array.from(want));
    }
  });
  it('keeps order 4 when only corners are given, and rejects a transition that needs more than the design supports (64)', () => {
    const L = 512;
    const s1 = makeStream(1, 250);
    const x = new Float64Array(L).map((_, n) => Math.sin(n / 3));
    const a = only(feedChunks(iirFilter, { frequencies: [8, 30], order: null }, signalFromChannelMajor(s1, x, L), [L]).outputs.data);
    const b = only(feedChunks(iirFilter, { frequencies: [8, 30], order: 4 }, signalFromChannelMajor(s1, x, L), [L]).outputs.data);
    expect(Array.from(a.block.data)).toEqual(Array.from(b.block.data));
    const { node } = instantiate(iirFilter, { frequencies: [29.9, 30, 40, 40.1], order: null, stop_atten: 80 });
    expect(() => node.process({ data: packet(signalFromChannelMajor(s1, x, L)) })).toThrow(/need order \d+/);
  });
});

describe('numeric nodes against SciPy (through the node)', needsShared, () => {
  const x = hasShared ? referenceArray(referenceJson('filtering').inputs.x) : new Float64Array(0);
  const C = 8;
  const N = 2500;
  const stream = makeStream(C, 250);
  const signal = () => signalFromChannelMajor(stream, x, N);

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
      const { outputs } = feedChunks(cls, params, signalFromChannelMajor(s, imp, L), randomChunks(L, 21, 5000));
      const mag = rfftMagnitude(Float64Array.from(only(outputs.data).block.data), 1, L);
      const got = Float64Array.from({ length: 512 }, (_, k) => mag[k * m]);
      expect(referenceError(got, mags.subarray(d.freqz_row * 512, d.freqz_row * 512 + 512), 'nmax'), id).toBeLessThan(d.tol.freqz_mag.f32);
    }
  });

  it('filter.iir + filter.notch on segments: each instance filtered from a fresh state = sosfilt(sos_A) of it (NeuroPype: a filter on segmented data)', () => {
    const ref = referenceJson('filtering');
    const c = (ref.cases as any[]).find((k) => k.id === 'sosfilt_A_zero');
    const expected = referenceArray(c.expected.y ?? c.expected);
    const sig = signal();
    // two instances holding the same samples: each must equal the reference on its own
    const ep = epochsChunk(stream, [sig.block.data, sig.block.data].map((samples, i) => ({ samples, timeMs: i * 1e4 })), N);
    const bp = once(iirFilter, { frequencies: [1, 40], mode: 'bandpass', order: 4 }, ep);
    const y = once(notchFilter, { frequency: 50, quality: 30 }, bp);
    expect(y.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    for (const k of [0, 1]) expect(referenceError(toChannelMajor(slab(y, k), N, C), expected, 'nmax')).toBeLessThan(c.tol.y?.f32 ?? c.tol.f32);
    // space × time × instance (any axis order): the same numbers, the order kept
    const odd = { block: transposeBlock(ep.block, [2, 1, 0]), props: ep.props };
    const yOdd = once(notchFilter, { frequency: 50, quality: 30 }, once(iirFilter, { frequencies: [1, 40], mode: 'bandpass', order: 4 }, odd));
    expect(yOdd.block.axes.map((a) => a.type)).toEqual(['space', 'time', 'instance']);
    expect(Array.from(transposeBlock(yOdd.block, [2, 1, 0]).data)).toEqual(Array.from(y.block.data));
  });

  it('spectral.welch = scipy.signal.welch (density and spectrum)', () => {
    for (const [id, scaling] of [
      ['welch_density', 'density'],
      ['welch_spectrum', 'spectrum'],
    ] as const) {
      const c = caseOf('spectral', id);
      const sp = once(welchSpectrum, { segment_samples: 256, overlap_samples: 128, scaling }, wholeEpoch(stream, x, N));
      expect(sp.block.axes.map((a) => a.type)).toEqual(['instance', 'space', 'frequency']);
      expect(sp.props.meta.scaling).toBe(scaling);
      expect(referenceError(axisOf(sp, 'frequency').frequenciesHz, c.expected.f, 'nmax')).toBeLessThan(c.tol.f.f64);
      expect(referenceError(slab(sp, 0), referenceArray(c.expected.Pxx), 'nmax')).toBeLessThan(c.tol.Pxx.f32);
    }
  });

  it('spectral.band-power (trapezoid, Simpson, relative) = SciPy integrals of the Welch PSD', () => {
    const c = caseOf('spectral', 'band_power_welch');
    const psd = once(welchSpectrum, { segment_samples: 256 }, wholeEpoch(stream, x, N));
    for (const [rule, relative, key] of [
      ['trapezoid', false, 'trapezoid'],
      ['simpson', false, 'simpson'],
      ['trapezoid', true, 'relative_trapezoid'],
    ] as const) {
      const f = once(bandPowerNode, { bands: c.bands_hz, rule, relative, total: [0.5, 45] }, psd);
      expect(f.block.axes.map((a) => a.type)).toEqual(['instance', 'feature']);
      expect(axisOf(f, 'feature').names[1]).toBe('ch1:theta');
      const exp = c.expected[key] ?? c.expected[Object.keys(c.expected).find((k) => k.startsWith('relative'))!];
      expect(referenceError(f.block.data, referenceArray(exp), 'nmax')).toBeLessThan(c.tol.all.f32);
    }
  });

  it('spectral.band-power on a signal (running): windows of 256 every 128 average to the band power of scipy.signal.welch', () => {
    // band power is linear in the PSD, so the mean over Welch's 18 segments' band powers is the band power of their mean
    const c = caseOf('spectral', 'band_power_welch');
    for (const rule of ['trapezoid', 'simpson'] as const) {
      const params = { bands: c.bands_hz, rule, window_length: 256, step: 128, unit: 'samples' };
      const f = only(feedChunks(bandPowerNode, params, signal(), randomChunks(N, 5, 300)).outputs.data);
      const frames = f.block.shape[0];
      expect(frames).toBe(caseOf('spectral', 'welch_density').details.n_segments);
      expect(axisOf(f, 'feature').names.slice(0, 2)).toEqual(['ch1:delta', 'ch1:theta']);
      const mean = new Float64Array(C * 5);
      for (let k = 0; k < frames; k++) for (let i = 0; i < mean.length; i++) mean[i] += f.block.data[k * mean.length + i] / frames;
      expect(referenceError(mean, referenceArray(c.expected[rule]), 'nmax')).toBeLessThan(c.tol.all.f32);
      expect(axisOf(f, 'time').timesMs[0]).toBe(axisOf(signal(), 'time').timesMs[255]); // a window is stamped with its last sample
    }
  });

  it('spectral.spectrogram with one window over the whole signal = scipy.signal.periodogram(hann, spectrum)', () => {
    const c = caseOf('spectral', 'periodogram_hann_spectrum');
    const { outputs } = feedChunks(spectrogram, { window_length: 10, step: 10, window: 'hann', scaling: 'spectrum' }, signal(), randomChunks(N, 8, 700));
    const sp = only(outputs.data);
    expect(sp.block.shape[0]).toBe(1);
    const key = Object.keys(c.expected).find((k) => k !== 'f')!;
    const tol = c.tol[key] ?? Object.values(c.tol)[0];
    expect(referenceError(slab(sp, 0), referenceArray(c.expected[key]), 'nmax')).toBeLessThan(tol.f32);
  });

  it('spectral.fft = |rfft(x)|', () => {
    const c = caseOf('spectral', 'rfft_magnitude');
    const sp = once(fftMagnitude, {}, wholeEpoch(stream, x, N));
    expect(axisOf(sp, 'frequency').frequenciesHz[1]).toBeCloseTo(0.1, 12);
    expect(referenceError(slab(sp, 0), referenceArray(c.expected.mag), 'nmax')).toBeLessThan(c.tol.mag.f32);
  });

  it('channels.rereference average = MNE set_eeg_reference("average")', () => {
    const c = caseOf('stats', 'car');
    const { outputs } = feedChunks(rereference, {}, signal(), randomChunks(N, 1));
    const y = only(outputs.data);
    expect(referenceError(toChannelMajor(y.block.data, N, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
  });

  it('math.zscore (recording mode, offline) = scipy.stats.zscore', () => {
    const c = caseOf('stats', 'zscore');
    const { outputs } = feedChunks(zscoreNode, { mode: 'recording' }, signal(), randomChunks(N, 2), { offline: true });
    const y = only(outputs.data);
    expect(referenceError(toChannelMajor(y.block.data, N, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
    // a whole (non-streaming) recording is standardised at once, online too
    const whole = once(zscoreNode, { mode: 'recording' }, signalFromChannelMajor(stream, x, N, 0, false));
    expect(Array.from(whole.block.data)).toEqual(Array.from(y.block.data));
  });

  it('segmentation → variance → log = numpy.var / log-var of 1 s epochs', () => {
    const c = caseOf('stats', 'epoch_variance');
    const sig = signal();
    const times = axisOf(sig, 'time').timesMs;
    const markers = Array.from({ length: 10 }, (_, e) => ({ timestampMs: times[250 * e], value: 'ep' }));
    const { outputs } = feedChunks(segmentation, { time_bounds: [0, 249 / 250] }, sig, randomChunks(N, 3, 400), { markers });
    const ep = only(outputs.data);
    expect(ep.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    expect(ep.block.shape).toEqual([10, 250, C]);
    for (const ddof of [0, 1]) {
      const v = once(varianceNode, { degrees_of_freedom: ddof }, ep);
      expect(v.block.shape).toEqual([10, 1, C]); // NeuroPype's reduction: time kept with one element
      expect(referenceError(v.block.data, referenceArray(c.expected[`var_ddof${ddof}`]), 'nmax')).toBeLessThan(c.tol.var.f32);
      if (ddof === 0) {
        const l = once(logNode, {}, v);
        const key = Object.keys(c.expected).find((k) => k.startsWith('logvar') && k.includes('0'))!;
        expect(referenceError(l.block.data, referenceArray(c.expected[key]), 'abs')).toBeLessThan(c.tol.logvar.f32);
      }
    }
    // the same variances with the time axis made a feature, or dropped
    expect(once(varianceNode, { force_feature_axis: true }, ep).block.axes.map((a) => a.type)).toEqual(['instance', 'feature', 'space']);
    const dropped = once(varianceNode, { keep_axis: false }, ep);
    expect(dropped.block.shape).toEqual([10, C]);
    expect(Array.from(dropped.block.data)).toEqual(Array.from(once(varianceNode, {}, ep).block.data));
    // Sliding windows of 250 samples every 250 samples are the same epochs.
    const { outputs: sw } = feedChunks(slidingWindow, { window_length: 250, step: 250, unit: 'samples' }, sig, randomChunks(N, 4));
    expect(Array.from(slab(only(sw.data), 3))).toEqual(Array.from(slab(ep, 3)));
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
      const { outputs } = feedChunks(resample, { rate: c.fs_out }, signalFromChannelMajor(s, xin, n), randomChunks(n, 5, 300), { offline: true });
      const y = only(outputs.data);
      expect(y.block.shape[0]).toBe(c.n_out);
      expect(axisOf(y, 'time').nominalRateHz).toBe(c.fs_out);
      expect(referenceError(toChannelMajor(y.block.data, c.n_out, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
      // a whole (non-streaming) recording: resample_poly at once, tail included
      const whole = once(resample, { rate: c.fs_out }, signalFromChannelMajor(s, xin, n, 0, false));
      expect(Array.from(whole.block.data)).toEqual(Array.from(y.block.data));
    }
  });

  it('filter.decimate zero_phase offline = scipy.signal.decimate(q=4, zero_phase=True)', () => {
    const c = caseOf('resample', 'decimate_q4_iir_zero_phase');
    const { outputs } = feedChunks(decimateNode, { factor: 4, zero_phase: true }, signal(), randomChunks(N, 6), { offline: true });
    const y = only(outputs.data);
    expect(y.block.shape[0]).toBe(625);
    expect(referenceError(toChannelMajor(y.block.data, 625, C), referenceArray(c.expected.y), 'nmax')).toBeLessThan(c.tol.y.f32);
  });
});

describe('chunk invariance and state carry-over of every stateful node', () => {
  const C = 5;
  const N = 3000;
  const stream = makeStream(C, 250);
  const data = new Float64Array(C * N);
  for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) data[c * N + n] = 20 * Math.sin(2 * Math.PI * (3 + c) * n / 250) + 5 * Math.sin(n * 0.77 + c) + 10 * c;
  const sig = signalFromChannelMajor(stream, data, N, 1000);
  const sigTimes = axisOf(sig, 'time').timesMs;
  const markers = [300, 777, 1500, 2222, 2900].map((i, k) => ({ timestampMs: sigTimes[i], value: k % 2 ? 'left' : 'right' }));

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
        expect(JSON.stringify(packetSummary(many))).toBe(JSON.stringify(packetSummary(one)));
      }
    });
  }

  it('sameStream, one rule for every stateful node: new but equal axis objects mid-stream keep the state (output = one uninterrupted run)', () => {
    const half = 1400;
    for (const [cls, params] of cases) {
      const want = feedChunks(cls, params, sig, [half, N - half], { markers }).outputs.data;
      const { node } = instantiate(cls, params, false, ['data', 'markers']);
      let got: ReturnType<typeof copyPacket> | undefined;
      const add = (r: { data?: ReturnType<typeof copyPacket> } | void | undefined) => {
        if (r?.data) got = got ? concatPackets(got, copyPacket(r.data)) : copyPacket(r.data);
      };
      // the second half arrives over a rebuilt descriptor: new channel objects, a new axes array
      const rebuilt = signalChunk({ ...stream, channels: stream.channels.map((ch) => ({ ...ch })) }, sig.block.data.subarray(half * C), sigTimes.subarray(half));
      for (const [piece, from, to] of [[sliceAlong(sig.block, 0, 0, half), 0, half], [rebuilt.block, half, N]] as const) {
        const lo = from === 0 ? -Infinity : sigTimes[from];
        const hi = to === N ? Infinity : sigTimes[to];
        const evs = markers.filter((m) => m.timestampMs >= lo && m.timestampMs < hi);
        add(node.process({ data: packet({ block: piece, props: sig.props }), markers: evs.length ? packetOf('markers', markerChunk(evs)) : undefined }) as never);
      }
      add(node.flush?.() as never);
      expect(JSON.stringify(packetSummary(got)), cls.type).toBe(JSON.stringify(packetSummary(want)));
    }
  });

  it('time.segmentation with the markers riding in the data packet (NeuroPype) = markers on their own port', () => {
    const params = { time_bounds: [-0.2, 0.5], baseline: [-0.2, 0] };
    const viaPort = feedChunks(segmentation, params, sig, [N], { markers }).outputs.data;
    for (const sizes of [[N], randomChunks(N, 13, 50)]) {
      const inPacket = feedChunks(segmentation, params, sig, sizes, { markers, markersIn: 'packet' }).outputs.data;
      expect(JSON.stringify(packetSummary(inPacket))).toBe(JSON.stringify(packetSummary(viaPort)));
    }
    // the last marker's epoch would end after the data
    expect(axisOf(only(viaPort), 'instance').fields[MARKER]).toEqual(markers.slice(0, 4).map((m) => m.value));
  });

  it('time.segmentation: a stream whose time goes back (a calibration recording, then a live one on the same clock) starts its history afresh', () => {
    const params = { time_bounds: [-0.2, 0.5] };
    const { node, logs } = instantiate(segmentation, params, false, ['data']); // markers ride in the packet
    const summary = (c: Chunk) => ({ markers: axisOf(c, 'instance').fields[MARKER], times: Array.from(axisOf(c, 'instance').timesMs), data: Array.from(c.block.data) });
    // calibration: the whole recording at once (not streaming), its markers in the packet
    const whole = signalFromChannelMajor(stream, data, N, 1000, false);
    const cal = only(node.process({ data: new Map([['eeg', whole], ['markers', markerChunk(markers, { streaming: false })]]) })!.data);
    // then the same times again, streamed in chunks, as a live recording that started at the same clock reading
    const live: Chunk[] = [];
    let pos = 0;
    for (const n of randomChunks(N, 5, 200)) {
      const piece = signalChunk(stream, sig.block.data.subarray(pos * C, (pos + n) * C), sigTimes.subarray(pos, pos + n));
      const ms = markers.filter((m) => m.timestampMs >= sigTimes[pos] && m.timestampMs <= sigTimes[pos + n - 1]);
      const pk = new Map<string, Chunk>([['eeg', piece]]);
      if (ms.length) pk.set('markers', markerChunk(ms));
      const out = node.process({ data: pk })?.data;
      if (out) live.push(only(out));
      pos += n;
    }
    const complete = markers.slice(0, 4).map((m) => m.value); // the last epoch would end after the data
    expect(axisOf(cal, 'instance').fields[MARKER]).toEqual(complete);
    const liveMarkers = live.flatMap((c) => axisOf(c, 'instance').fields[MARKER] as string[]);
    expect(liveMarkers).toEqual(complete);
    const liveData = live.flatMap((c) => Array.from(c.block.data));
    expect(liveData).toEqual(summary(cal).data);
    expect(logs.some((l) => /time went back/.test(l.message))).toBe(true);
  });

  it('spectral.band-power on a signal = sliding window → Welch (one segment) → band power, in any chunking', () => {
    const bands = { alpha: [8, 13], beta: [13, 30], low: [0, 4] };
    for (const [window, detrend, relative, rule] of [
      ['hann', 'constant', false, 'trapezoid'],
      ['hamming', 'none', true, 'simpson'],
      ['boxcar', 'constant', true, 'trapezoid'],
    ] as const) {
      const chain = (x: Chunk): Chunk => {
        const { node: sw } = instantiate(slidingWindow, { window_length: 0.6, step: 0.04 });
        const { node: w } = instantiate(welchSpectrum, { segment_samples: 150, window, detrend });
        const { node: bp } = instantiate(bandPowerNode, { bands, relative, rule });
        return only(copyPacket(bp.process(w.process(sw.process({ data: packet(x) })!)!)!.data!));
      };
      const want = chain(sig);
      const params = { bands, relative, rule, window, detrend, window_length: 0.6, step: 0.04 };
      for (const sizes of [[N], randomChunks(N, 31, 23)]) {
        const got = only(feedChunks(bandPowerNode, params, sig, sizes).outputs.data);
        expect(got.block.shape[0]).toBe(want.block.shape[0]);
        // the chain's rows are instances (windows), running band power's rows a time axis: the same times
        expect(Array.from(axisOf(got, 'time').timesMs)).toEqual(Array.from(axisOf(want, 'instance').timesMs));
        expect(referenceError(got.block.data, want.block.data, 'nmax'), `${window} ${detrend} ${relative}`).toBeLessThan(1e-6); // float32 outputs
      }
    }
  });

  it('spectral.band-power on a signal keeps its history when only the descriptor object changes, and starts afresh on a new layout', () => {
    const params = { window_length: 0.5, step: 0.1 };
    const { node } = instantiate(bandPowerNode, params);
    const half = 600;
    const piece = (from: number, to: number, s: typeof stream) => packet(signalChunk(s, sig.block.data.subarray(from * C, to * C), sigTimes.subarray(from, to)));
    const aFrames = only(node.process({ data: piece(0, half, stream) })!.data).block.shape[0];
    // an upstream node hands new but equal axis objects (a copy of the descriptor): the same stream
    const b = only(node.process({ data: piece(half, half + 100, { ...stream, channels: stream.channels.map((ch) => ({ ...ch })) }) })!.data);
    expect(aFrames + b.block.shape[0]).toBe(1 + Math.floor((half + 100 - 125) / 25)); // windows continue across the new descriptor
    const other = makeStream(C + 1, 250);
    const wider = packet(signalChunk(other, new Float32Array(100 * (C + 1)), new Float64Array(100)));
    expect(node.process({ data: wider })).toBeUndefined(); // a new layout: no window until 125 new samples
  });

  it('spectral.band-power on a signal: a window too short for a spectrum is refused with what is wrong', () => {
    const { node } = instantiate(bandPowerNode, { window_length: 1, step: 1, unit: 'samples' });
    expect(() => node.process({ data: packet(sig) })).toThrow(/window_length .* at least 2/);
  });

  it('spectral.band-power on a signal: a NaN makes its channel NaN while in the window, is logged, and the channel recovers', () => {
    const bad = only(copyPacket(packet(sig)));
    bad.block.data[1000 * C + 2] = NaN;
    const params = { window_length: 0.5, step: 0.1 };
    const good = only(feedChunks(bandPowerNode, params, sig, [N]).outputs.data).block.data;
    const { outputs, logs } = feedChunks(bandPowerNode, params, bad, randomChunks(N, 3, 50));
    const got = only(outputs.data);
    const gotTimes = axisOf(got, 'time').timesMs;
    const width = C * 5;
    for (let k = 0; k < got.block.shape[0]; k++) {
      const end = Math.round((gotTimes[k] - sigTimes[0]) / 4); // frame index at 250 Hz
      const inWindow = end >= 1000 && end - 125 < 1000;
      for (let i = 0; i < width; i++) {
        const channel = Math.floor(i / 5);
        if (channel === 2 && inWindow) expect(got.block.data[k * width + i]).toBeNaN();
        else expect(got.block.data[k * width + i]).toBeCloseTo(good[k * width + i], 3);
      }
    }
    expect(logs.filter((l) => l.level === 30 && /non-finite/.test(l.message))).toHaveLength(1);
  });

  it('spectral.welch over a packet of many windows = one window at a time', () => {
    const { node: sw } = instantiate(slidingWindow, { window_length: 128, step: 100, unit: 'samples' });
    const wins = only(copyPacket(sw.process({ data: packet(sig) })!.data!));
    const n = wins.block.shape[0];
    expect(n).toBeGreaterThan(20);
    const { node: w } = instantiate(welchSpectrum, { segment_samples: 64 });
    // copied: a packet's arrays are valid during its step only (the node reuses them)
    const all = only(copyPacket(w.process({ data: packet(wins) })!.data!));
    for (const k of [0, 7, n - 1]) {
      const one = only(w.process({ data: packet({ block: selectAlong(wins.block, 0, [k]), props: wins.props }) })!.data);
      expect(Array.from(slab(all, k))).toEqual(Array.from(slab(one, 0)));
    }
    expect(slab(all, 0)[3]).not.toBe(slab(all, 7)[3]);
  });

  it('segmentation online_epoching "sliding": online, the latest window on every chunk; offline, marker-locked', () => {
    const online = feedChunks(segmentation, { time_bounds: [-0.2, 0], online_epoching: 'sliding' }, sig, [30, 40, 50, 60], { markers });
    const ep = only(online.outputs.data);
    expect(ep.block.shape).toEqual([3, 51, C]);
    expect(Array.from(slab(ep, 2).subarray(-C))).toEqual(Array.from(sig.block.data.subarray(179 * C, 180 * C)));
    const offline = feedChunks(segmentation, { time_bounds: [-0.2, 0], online_epoching: 'sliding' }, sig, [N], { markers, offline: true });
    expect(axisOf(only(offline.outputs.data), 'instance').fields[MARKER]).toEqual(markers.map((m) => m.value));
  });

  it('a filter recovers after NaN input (state reset + warning)', () => {
    const bad = signalFromChannelMajor(stream, data.map((v, i) => (i === 2 * N + 500 ? NaN : v)), N);
    const { outputs, logs } = feedChunks(iirFilter, { frequencies: [1, 30], order: 4 }, bad, randomChunks(N, 9));
    const y = only(outputs.data).block.data;
    expect(logs.some((l) => l.level === 30 && /non-finite/.test(l.message))).toBe(true);
    for (let n = 1200; n < N; n++) expect(Number.isFinite(y[n * C + 2])).toBe(true);
    const fir = feedChunks(firFilter, { frequencies: [1, 30], order: 64 }, bad, [400, 110, 2490]);
    expect(fir.logs.some((l) => l.level === 30 && /non-finite/.test(l.message))).toBe(true);
    const yf = only(fir.outputs.data).block.data;
    for (let n = 510; n < N; n++) expect(Number.isFinite(yf[n * C + 2])).toBe(true);
  });
});

describe('channel, marker and element-wise nodes', () => {
  const stream = makeStream(['Fp1', 'C3..', 'C4', 'M1', 'M2'], 100);
  stream.channels[4] = { ...stream.channels[4], type: 'MISC' };
  const sig = signalFromChannelMajor(stream, Float64Array.from({ length: 5 * 4 }, (_, i) => i), 4);

  it('channels.select by names (EDF dots ignored), indices, types and range strings', () => {
    const pick = (params: Record<string, unknown>) => axisOf(once(selectChannels, params, sig), 'space').channels.map((c) => c.label);
    expect(pick({ selection: ['c3', 'Fp1'] })).toEqual(['C3..', 'Fp1']);
    expect(pick({ selection: [4, 0], unit: 'indices' })).toEqual(['M2', 'Fp1']);
    expect(pick({ selection: ['MISC'], unit: 'types' })).toEqual(['M2']);
    expect(pick({ selection: '1:3' })).toEqual(['C3..', 'C4']);
    expect(pick({ selection: '1...3', unit: 'indices' })).toEqual(['C3..', 'C4', 'M1']); // NeuroPype's inclusive range
    expect(() => pick({ selection: ['Oz'] })).toThrow(/"Oz" not in stream/);
  });

  it('SelectRange on spectra: frequency bins by Hz range or indices, channels by name', () => {
    // instance (1) × space (5) × frequency (11)
    const spec: Chunk = {
      block: makeBlock(Float64Array.from({ length: 5 * 11 }, (_, i) => i), [instanceAxis(Float64Array.of(0)), spaceAxis(stream.channels), frequencyAxis(Float64Array.from({ length: 11 }, (_, k) => k * 2))]),
      props: chunkProps(stream, { is_signal: true }, { scaling: 'density' }),
    };
    const hz = once(selectChannels, { axis: 'frequency', unit: 'Hz', selection: '8...13' }, spec);
    expect(Array.from(axisOf(hz, 'frequency').frequenciesHz)).toEqual([8, 10, 12]);
    expect(Array.from(hz.block.data.subarray(3, 6))).toEqual([15, 16, 17]);
    const ix = once(selectChannels, { axis: 'frequency', unit: 'indices', selection: '0:2' }, spec);
    expect(Array.from(axisOf(ix, 'frequency').frequenciesHz)).toEqual([0, 2]);
    const ch = once(selectChannels, { selection: ['C4'] }, spec);
    expect(axisOf(ch, 'space').channels.map((c) => c.label)).toEqual(['C4']);
    expect(Array.from(ch.block.data)).toEqual(Array.from({ length: 11 }, (_, k) => 22 + k));
    expect(() => once(selectChannels, { axis: 'frequency', unit: 'Hz', selection: '100...200' }, spec)).toThrow(/keeps no bin/);
    // and a time range in seconds on segments (relative to the marker), every array of the axis following
    const ep = epochsChunk(stream, [{ samples: sig.block.data, timeMs: 5000, marker: 'm' }], 4, -10);
    const t = once(selectChannels, { axis: 'time', unit: 'seconds', selection: '0...0.02' }, ep);
    expect(Array.from(axisOf(t, 'time').timesMs)).toEqual([0, 10, 20]);
    expect(Array.from(t.block.data)).toEqual(Array.from(sig.block.data.subarray(5, 20)));
  });

  it('linked mastoids, channel reference and bipolar derivations', () => {
    const lm = once(rereference, { mode: 'linked-mastoids' }, sig);
    // frame 0: Fp1 = 0, M1 = 12, M2 = 16 → Fp1 − 14
    expect(lm.block.data[0]).toBe(0 - 14);
    const ch = once(rereference, { mode: 'channels', reference_channels: ['C4'], exclude: ['M2'] }, sig);
    expect(Array.from(ch.block.data.subarray(0, 5))).toEqual([0 - 8, 4 - 8, 0, 12 - 8, 16]);
    const bp = once(bipolar, { pairs: ['Fp1-C4', ['C3', 'M1']] }, sig);
    expect(axisOf(bp, 'space').channels.map((c) => c.label)).toEqual(['Fp1-C4', 'C3-M1']);
    expect(Array.from(bp.block.data.subarray(0, 2))).toEqual([0 - 8, 4 - 12]);
    // space × time (another axis order): the same derivation, the order kept
    const st = { block: transposeBlock(sig.block, [1, 0]), props: sig.props };
    const bpT = once(bipolar, { pairs: ['Fp1-C4', ['C3', 'M1']] }, st);
    expect(bpT.block.axes.map((a) => a.type)).toEqual(['space', 'time']);
    expect(Array.from(transposeBlock(bpT.block, [1, 0]).data)).toEqual(Array.from(bp.block.data));
  });

  it('element-wise nodes', () => {
    const clip = once(clipNode, { min: 2, max: 10 }, sig);
    expect(Array.from(clip.block.data.subarray(0, 5))).toEqual([2, 4, 8, 10, 10]);
    const th = once(thresholdNode, { threshold: 8 }, sig);
    expect(Array.from(th.block.data.subarray(0, 5))).toEqual([0, 0, 0, 1, 1]);
    // marker chunks pass element-wise nodes unchanged
    const withMarkers = new Map([['eeg', sig], ['markers', markerChunk([{ timestampMs: 1, value: 'x' }])]]);
    const out = instantiate(clipNode, { min: 2 }).node.process({ data: withMarkers })!.data!;
    expect(out.get('markers')).toBe(withMarkers.get('markers'));
    expect(() => instantiate(clipNode, { min: 3, max: 1 })).toThrow(/above max/);
  });

  it('markers.rewrite selects/renames (NeuroPype rule text accepted) and assign-targets labels', () => {
    const m = packetOf('markers', markerChunk(['3', '4', '5', 'stim-7'].map((value, i) => ({ timestampMs: i, value }))));
    const rw = instantiate(rewriteMarkers, { rules: "{'3': 'left', '4': 'right', 'stim-*': 'stim'}", remove_all_others: true }).node.process({ data: m })!.data!;
    expect(markersOf(rw.get('markers')!).map((e) => e.value)).toEqual(['left', 'right', 'stim']);
    expect(markersOf(rw.get('markers')!).map((e) => e.timestampMs)).toEqual([0, 1, 3]); // times follow the kept markers
    const at = instantiate(assignTargets, { mapping: { left: 0, right: 1 } }).node.process({ data: rw })!.data!;
    expect(markersOf(at.get('markers')!).map((e) => e.target)).toEqual([0, 1, undefined]);
    expect(at.get('markers')!.props.has_targets).toBe(true);
    const at2 = instantiate(assignTargets, { mapping: ['right', 'left'] }).node.process({ data: rw })!.data!;
    expect(markersOf(at2.get('markers')!).map((e) => e.target)).toEqual([1, 0, undefined]);
    // segments are labelled by their marker, in TargetValue
    const ep = epochsChunk(stream, [{ samples: sig.block.data, timeMs: 0, marker: 'right' }], 4);
    expect(Array.from(axisOf(once(assignTargets, { mapping: { left: 0, right: 1 } }, ep), 'instance').fields[TARGET] as Float64Array)).toEqual([1]);
  });
});

describe('epoch nodes and the trainable class-mean node', () => {
  const stream = makeStream(['a', 'b'], 100);
  const frames = 50;
  const ramp = new Float32Array(frames * 2).map((_, i) => (i % 2 ? 5 : 3 * Math.floor(i / 2) + 7));
  // the event 200 ms after the epoch's first sample
  const ep = epochsChunk(stream, [{ samples: ramp, timeMs: 200, marker: 'm' }], frames, -200);

  it('filter.detrend removes a line exactly (linear) or the mean (constant)', () => {
    const lin = once(detrend, { type: 'linear' }, ep);
    for (const v of lin.block.data) expect(Math.abs(v)).toBeLessThan(1e-4);
    const con = once(detrend, { type: 'constant' }, ep);
    expect(con.block.data[0]).toBeCloseTo(-3 * 24.5, 4);
    expect(con.block.data[1]).toBe(0);
  });

  it('time.baseline subtracts the mean over [a, b] s relative to the event', () => {
    // event at 200 ms = frame 20; baseline [-0.1, 0] s = frames 10..20 → mean of ramp = 3·15 + 7
    const out = once(baselineRemoval, { baseline: [-0.1, 0] }, ep);
    expect(out.block.data[15 * 2]).toBeCloseTo(0, 5);
    expect(out.block.data[1]).toBe(0);
    expect(ep.block.data[30]).toBe(3 * 15 + 7);
  });

  it('ml.class-mean: collects labelled frames, fits at the fit marker, then predicts; the model round-trips as JSON', () => {
    const fs = makeStream(['f1', 'f2'], 0, { kind: 'features' });
    // instance × feature, the labels in TargetValue (as segmentation → variance → log leave them)
    const feats = (xs: number[][], targets: number[]) =>
      packet({
        block: makeBlock(Float32Array.from(xs.flat()), [instanceAxis(Float64Array.from(xs.map((_, i) => i)), { [TARGET]: Float64Array.from(targets) }, 'segments'), featureAxis(['f1', 'f2'])]),
        props: chunkProps(fs, { is_signal: true }),
      });
    const { node } = instantiate(classMean, { fit_marker: 'done' });
    expect(node.process({ data: feats([[0, 0], [0.2, 0.1], [5, 5], [5.1, 4.8]], [0, 0, 1, 1]) })).toBeUndefined();
    expect(node.trainable!.collected).toBe(4);
    node.process({ markers: packetOf('markers', markerChunk([{ timestampMs: 9, value: 'done' }])) });
    expect(node.trainable!.fitted).toBe(true);
    const out = only(node.process({ data: feats([[0.1, 0], [4.9, 5.2]], [NaN, NaN]) })!.data);
    expect(axisOf(out, 'feature').names).toEqual(['p(0)', 'p(1)', 'predicted']);
    expect([out.block.data[2], out.block.data[5]]).toEqual([0, 1]);
    expect(out.block.data[0]).toBeGreaterThan(0.99);
    const model = JSON.parse(JSON.stringify(node.trainable!.exportModel()));
    const { node: other } = instantiate(classMean, {});
    other.trainable!.importModel(model);
    const again = only(other.process({ data: feats([[0.1, 0], [4.9, 5.2]], [NaN, NaN]) })!.data);
    expect(Array.from(again.block.data)).toEqual(Array.from(out.block.data));
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
    const f = signalFromChannelMajor(stream, [1, 2, 3, 4, 5, 6], 3);
    ex.bind('rec', { streams: [{ descriptor: stream, samples: f.block.data as Float32Array, timestampsMs: axisOf(f, 'time').timesMs }], markers: [] });
    ex.runOffline();
    expect(ex.peek('plot')).toMatchObject({ kind: 'signal', chunk: 'eeg', axes: 'time (3) × space (2)', latest: [3, 6] });
    expect(ex.logs().some((l) => l.message.includes('3 frames × 2 ch last [3.000, 6.000]'))).toBe(true);
  });
});

describe('sources: our chunked replay, NeuroPype\'s whole-recording importers, LSLInput with markers', () => {
  const eeg = makeStream(['C3', 'C4'], 10);
  const aux = makeStream(['ax'], 5, { id: 'aux', name: 'accel', kind: 'aux' });
  const eeg2 = makeStream(['O1'], 10, { id: 'eeg2', name: 'second' });
  const sig = (s: typeof eeg, n: number) => {
    const c = signalFromChannelMajor(s, Float64Array.from({ length: n * s.channels.length }, (_, i) => i), n);
    return { descriptor: s, samples: c.block.data as Float32Array, timestampsMs: axisOf(c, 'time').timesMs };
  };
  const rec = { streams: [sig(eeg, 20), sig(aux, 10), sig(eeg2, 20)], markers: [{ timestampMs: 500, value: 'b' }, { timestampMs: 100, value: 'a' }] };

  it('io.import-file (ImportXDF/ImportEDF/ImportFile): the whole recording in one non-streaming packet, one chunk per stream, and its markers', () => {
    const { node } = instantiate(importFile, {});
    node.bind!(rec);
    expect(node.done).toBe(false);
    const p = node.pull!()!.data!;
    expect(node.done).toBe(true);
    expect(node.pull!()).toBeUndefined();
    expect([...p.keys()]).toEqual(['eeg', 'aux', 'eeg-2', 'markers']);
    for (const c of p.values()) expect(c.props.is_streaming).toBe(false);
    expect(p.get('eeg')!.block.shape).toEqual([20, 2]);
    expect(markersOf(p.get('markers')!).map((e) => e.value)).toEqual(['a', 'b']);
    node.reset(); // a second offline pass hands it over again
    expect(node.pull!()!.data!.size).toBe(4);
    const picked = instantiate(importFile, { retain_streams: ['accel'], use_streamnames: true }).node;
    picked.bind!(rec);
    expect([...picked.pull!()!.data!.keys()]).toEqual(['accel', 'markers']);
    const none = instantiate(importFile, { retain_streams: ['nope'] }).node;
    expect(() => none.bind!(rec)).toThrow(/no stream of the recording matches retain_streams \["nope"\] \(streams: test, aux, eeg2\)/);
  });

  it('io.recording-input replays one stream in streaming chunks, its markers on their own port', () => {
    const { node } = instantiate(recordingInput, { chunk_frames: 8 });
    node.bind!(rec);
    const first = node.pull!()!;
    expect(only(first.data).props.is_streaming).toBe(true);
    expect(only(first.data).block.shape).toEqual([8, 2]);
    expect(markersOf(first.markers!.get('markers')!).map((e) => e.value)).toEqual(['a', 'b']);
  });

  it('io.stream-input: the ring frames as time × space (no copy, reused axes), markers riding along with marker_query', () => {
    const ring = { frames: 3, read(_n: number, s: Float32Array, t: Float64Array) { s.set([1, 2, 3, 4, 5, 6]); t.set([0, 100, 200]); return { frames: this.frames, dropped: 0 }; } };
    const queue = new MarkerQueue();
    const { node } = instantiate(streamInput, { marker_query: "type='Markers'" });
    node.bind!({ descriptor: eeg, reader: ring, markers: queue });
    const a = node.pull!()!.data!;
    expect([...a.keys()]).toEqual(['eeg']);
    const axes = a.get('eeg')!.block.axes;
    queue.push([{ timestampMs: 150, value: 'go' }]);
    const b = node.pull!()!.data!;
    expect([...b.keys()]).toEqual(['eeg', 'markers']);
    expect(b.get('eeg')!.block.axes).toBe(axes); // the same objects step after step: sameStream is an identity check
    expect(markersOf(b.get('markers')!).map((e) => e.value)).toEqual(['go']);
    const plain = instantiate(streamInput, {}).node;
    plain.bind!({ descriptor: eeg, reader: ring, markers: queue });
    queue.push([{ timestampMs: 150, value: 'ignored' }]);
    expect([...plain.pull!()!.data!.keys()]).toEqual(['eeg']);
  });

  it('StreamData flags what passes as streaming (live data for trainable nodes)', () => {
    const whole = packet(signalFromChannelMajor(eeg, [1, 2, 3, 4], 2, 0, false));
    const out = instantiate(streamData, {}).node.process({ data: whole })!.data!;
    expect(only(out).props.is_streaming).toBe(true);
    expect(only(out).block).toBe(only(whole).block);
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
  const epoch = (): Chunk => {
    const f = signalFromChannelMajor(stream, cm, n);
    return epochsChunk(stream, [{ samples: f.block.data, timeMs: axisOf(f, 'time').timesMs[n - 1], marker: 'm', target: 1 }], n);
  };
  for (const [label, params] of [
    ['default', { half_bandwidth: 4, normalization: 'length' }],
    ['bandwidth 4 Hz', { bandwidth: 4, normalization: 'length' }],
    ['adaptive', { half_bandwidth: 4, adaptive: true, normalization: 'length' }],
    ['full normalization, no low_bias', { half_bandwidth: 4, low_bias: false }],
  ] as const) {
    it(`${label}: one spectrum per epoch, channel-major, marker and target kept`, () => {
      const ref = fx.psd.find((c) => c.label === label)!;
      const sp = once(multitaperSpectrum, params, epoch());
      expect(sp.block.shape[0]).toBe(1);
      expect(axisOf(sp, 'instance').fields).toMatchObject({ [MARKER]: ['m'], [TARGET]: Float64Array.of(1) });
      expect(Array.from(axisOf(sp, 'frequency').frequenciesHz)).toEqual(ref.freqs);
      // float32 samples through the node
      expect(referenceError(slab(sp, 0), ref.psd.flat(), 'nmax')).toBeLessThan(1e-5);
    });
  }
  it('offline on a signal: one spectrum of the whole recording at the end, in any chunking', () => {
    const ref = fx.psd.find((c) => c.label === 'bandwidth 4 Hz')!;
    const sig = signalFromChannelMajor(stream, cm, n);
    const a = only(feedChunks(multitaperSpectrum, { bandwidth: 4, normalization: 'length' }, sig, randomChunks(n, 3, 60), { offline: true }).outputs.data);
    // time (one element: the last sample's time) × space × frequency
    expect(a.block.axes.map((x) => x.type)).toEqual(['time', 'space', 'frequency']);
    expect(Array.from(axisOf(a, 'time').timesMs)).toEqual([axisOf(sig, 'time').timesMs[n - 1]]);
    expect(referenceError(a.block.data, ref.psd.flat(), 'nmax')).toBeLessThan(1e-5);
  });
  it('after a sliding window: the same spectra however the signal is chunked', () => {
    const sig = signalFromChannelMajor(stream, cm, n);
    const run = (sizes: number[]) => {
      const w = only(feedChunks(slidingWindow, { window_length: 128, step: 50, unit: 'samples' }, sig, sizes).outputs.data);
      const sp = once(multitaperSpectrum, {}, w);
      return Array.from({ length: sp.block.shape[0] }, (_, k) => Array.from(slab(sp, k)));
    };
    const one = run([n]);
    expect(one.length).toBe(8);
    expect(run(randomChunks(n, 4, 37))).toEqual(one);
  });
  it('rejects two-sided output and an NW too large for the epoch', () => {
    expect(() => instantiate(multitaperSpectrum, { onesided: false })).toThrow(/two-sided/);
    expect(() => once(multitaperSpectrum, { half_bandwidth: 300 }, epoch())).toThrow(/half the epoch length/);
  });
});

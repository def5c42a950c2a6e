// DSP kernel benchmark (standalone): prints IIR and Welch throughput in M channel-samples per CPU
// second, and the offline-chain figure (64 ch, 1 h, 1 kHz: band-pass butter 4 1–40 Hz + 50 Hz notch +
// common average reference). Run: npx tsx bench/dsp.bench.ts [--full]  (about 20–40 s; --full
// filters the whole hour instead of 5 minutes extrapolated). Prints figures only; asserts nothing.
import { butter, commonAverageReferenceFrames, concatSos, dpss, iirnotchSos, multitaperPsd, SlidingSpectrum, SosFilter, sosfilt, welch, type IirBackend } from '../src/lib/dsp/index';
import { transposeInto } from '../src/lib/dsp/layout';

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Median CPU seconds per call over `reps` timed calls after `warm` warm-up calls. */
function time(fn: () => void, reps = 5, warm = 2): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = cpuS();
    fn();
    t.push(cpuS() - c0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

/** Seeded channel-major test signal (EEG-like: offset, 10 Hz, 50 Hz mains, noise). */
function makeSignal(nch: number, ns: number, fs: number, seed = 1): Float64Array {
  const x = new Float64Array(nch * ns);
  let s = seed >>> 0;
  for (let c = 0; c < nch; c++) {
    for (let i = 0; i < ns; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const t = i / fs;
      x[c * ns + i] = 20 * (c % 5) + 10 * Math.sin(2 * Math.PI * 10 * t + c) + 5 * Math.sin(2 * Math.PI * 50 * t) + 4 * (s / 4294967296 - 0.5);
    }
  }
  return x;
}

const fmt = (v: number): string => v.toFixed(1).padStart(7);
const full = process.argv.includes('--full');
const fs = 1000;
const nch = 64;
const sos = concatSos(butter(4, [1, 40], 'bandpass', fs), iirnotchSos(50, 30, fs));

console.log(`# neurotab dsp benchmark  (node ${process.version}, ${nch} ch @ ${fs} Hz, 5 biquads: butter 4 1–40 Hz + notch 50 Hz Q30)`);
console.log('# figures: M channel-samples per CPU second (median of 5)');

// 1. one-shot sosfilt, channel-major, 60 s
{
  const ns = 60 * fs;
  const x64 = makeSignal(nch, ns, fs);
  const x32 = Float32Array.from(x64);
  for (const backend of ['wasm', 'js'] as IirBackend[]) {
    for (const x of [x32, x64]) {
      const s = time(() => sosfilt(sos, x, nch, ns, undefined, backend));
      console.log(`IIR sosfilt   channel-major ${x instanceof Float32Array ? 'f32' : 'f64'} ${backend.padEnd(4)} 60 s : ${fmt((nch * ns) / s / 1e6)} M/s`);
    }
  }
}

// 2. streaming SosFilter, frame-major, 32-frame chunks (engine-like)
{
  const frames = 20 * fs;
  const xf = Float32Array.from(makeSignal(1, nch * frames, fs));
  const out = new Float32Array(xf.length);
  for (const backend of ['wasm', 'js'] as IirBackend[]) {
    const f = new SosFilter(sos, nch, { backend });
    const s = time(() => {
      for (let o = 0; o < frames; o += 32) f.process(xf.subarray(o * nch, (o + 32) * nch), out.subarray(o * nch, (o + 32) * nch));
    });
    console.log(`IIR SosFilter frame-major  f32 ${backend.padEnd(4)} 32-frame chunks: ${fmt((nch * frames) / s / 1e6)} M/s`);
  }
}

// 3. Welch PSD (hann 256, 50 % overlap), channel-major, 60 s
{
  const ns = 60 * fs;
  const x64 = makeSignal(nch, ns, fs, 2);
  const x32 = Float32Array.from(x64);
  for (const x of [x32, x64]) {
    const s = time(() => welch(x, nch, ns, fs, { nperseg: 256, noverlap: 128 }));
    console.log(`Welch 256/128 channel-major ${x instanceof Float32Array ? 'f32' : 'f64'}            : ${fmt((nch * ns) / s / 1e6)} M/s`);
  }
}

// 3a. Band power at every 10-sample chunk over a 256-sample window, 60 s of frame-major signal: the
//     running estimate (SlidingSpectrum, alpha + beta = bins 2…8 at 1 kHz) against an FFT of every window
{
  const ns = 60 * fs;
  const step = 10;
  const win = 256;
  const x = transposeInto(Float32Array.from(makeSignal(nch, ns, fs, 3)), nch, ns, new Float32Array(nch * ns)); // channel-major → frame-major
  const windows = Math.floor((ns - win) / step) + 1;
  const running = time(() => {
    const sp = new SlidingSpectrum({ channels: nch, sampleRateHz: fs, windowFrames: win, stepFrames: step, loHz: 8, hiHz: 30 });
    for (let at = 0; at < ns; at += step) sp.push(x.subarray(at * nch, (at + step) * nch), step, () => {});
  }, 3, 1);
  const perWindow = time(() => {
    for (let w = 0; w < windows; w++) welch(x.subarray(w * step * nch, (w * step + win) * nch), nch, win, fs, { nperseg: win, frameMajor: true });
  }, 3, 1);
  console.log(
    `Band power every ${step} samples, ${win}-sample window, ${nch} ch × ${fs} Hz: running (sliding DFT, 8–30 Hz bins) ${(running * 1000 / 60).toFixed(2)} ms per s of signal; ` +
      `a Welch FFT of every window ${(perWindow * 1000 / 60).toFixed(2)} ms per s (×${(perWindow / running).toFixed(1)})`,
  );
}

// 3b. Multitaper PSD (MNE psd_array_multitaper defaults: NW 4, 7 tapers after low_bias) on 2-s epochs,
//     taper design (DPSS, cached after the first call) timed separately
{
  const ns = 2 * fs;
  const x = Float32Array.from(makeSignal(nch, ns, fs, 4));
  const t0 = performance.now();
  dpss(ns, 4, 8, { sym: false });
  const designMs = performance.now() - t0;
  for (const adaptive of [false, true]) {
    const s = time(() => multitaperPsd(x, nch, ns, fs, { adaptive }));
    console.log(`Multitaper NW 4, ${ns}-sample epochs, ${(adaptive ? 'adaptive' : 'fixed weights').padEnd(13)}: ${fmt((nch * ns) / s / 1e6)} M/s (${(s * 1000).toFixed(1)} ms per ${nch}-ch epoch)`);
  }
  console.log(`Multitaper DPSS design, ${ns} samples × 8 tapers (once per epoch length, cached): ${designMs.toFixed(1)} ms`);
}

// 4. offline chain: 64 ch × 1 h × 1 kHz, float32 frame-major (as recorded), 10-s blocks:
//    band-pass + notch (SosFilter, state carried) then CAR in place.
{
  const totalS = 3600;
  const runS = full ? totalS : 300;
  const blockS = 10;
  const block = Float32Array.from(makeSignal(1, nch * blockS * fs, fs, 3)); // reused block (content does not affect speed)
  const f = new SosFilter(sos, nch);
  let cpu = 0;
  const w0 = performance.now();
  for (let t = 0; t < runS; t += blockS) {
    const work = block.slice();
    const c0 = cpuS();
    f.process(work, work);
    commonAverageReferenceFrames(work, nch, work);
    cpu += cpuS() - c0;
  }
  const wall = (performance.now() - w0) / 1000;
  const scale = totalS / runS;
  console.log(
    `Offline chain (band-pass + notch + CAR), 64 ch × 1 h × 1 kHz, f32 frame-major, ${f.backend}: ` +
      (full ? `${cpu.toFixed(2)} s CPU (${wall.toFixed(2)} s wall, whole hour)` : `${(cpu * scale).toFixed(2)} s CPU extrapolated from ${runS} s of data (${cpu.toFixed(2)} s CPU ×${scale}); target < 10 s`),
  );
}

// ASR benchmark (standalone): calibration and streaming reconstruction of S001R04 (160 Hz, 125 s) for 24
// and 64 channels, online in 32-sample chunks (p50/p99 CPU ms per chunk, CPU seconds per second of
// EEG), beside the NumPy/SciPy re-statement of clean_rawdata (tests/ml/make-asr-reference.py) doing
// the same offline in one call, timed in the same run. Run: nice -n 10 npx tsx bench/asr.bench.ts
// Prints figures only; asserts nothing. Numbers are noisy on a shared machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readEdf } from '../src/lib/formats/edf';
import { asrCalibrate, AsrProcessor, cleanWindows } from '../src/lib/ml/asr';
import { sharedBytes } from '../tests/support/shared';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

const rec = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
const s = rec.streams[0];
const nc = s.descriptor.channels.length;
const fs = s.descriptor.sampleRateHz;
const S = s.samples.length / nc;

for (const C of [24, 64]) {
  const x = new Float32Array(S * C);
  for (let t = 0; t < S; t++) for (let c = 0; c < C; c++) x[t * C + c] = s.samples[t * nc + c];
  let t0 = cpuMs();
  const calib = cleanWindows(x.subarray(0, 30 * fs * C), C, { sampleRateHz: fs });
  const state = asrCalibrate(calib.kept, C, { sampleRateHz: fs });
  const calibMs = cpuMs() - t0;
  const p = new AsrProcessor(state);
  const per: number[] = [];
  t0 = cpuMs();
  for (let i = 0; i < S; i += 32) {
    const c0 = cpuMs();
    p.process(x.subarray(i * C, Math.min(S, i + 32) * C));
    per.push(cpuMs() - c0);
  }
  p.flush(x);
  const total = cpuMs() - t0;
  per.sort((a, b) => a - b);
  const q = (f: number) => per[Math.min(per.length - 1, Math.floor(f * per.length))].toFixed(2);
  console.log(`ASR ${C} ch @ ${fs} Hz, ${(S / fs).toFixed(0)} s: calibrate (clean windows + fit, 30 s) ${calibMs.toFixed(0)} ms; process ${total.toFixed(0)} ms = ${(total / 1000 / (S / fs)).toFixed(4)} CPU s per s of EEG; per 32-sample chunk p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (${p.nontrivialUpdates} reconstructing updates)`);
}

const here = fileURLToPath(new URL('.', import.meta.url));
const py = `
import sys, time, os, importlib
sys.path.insert(0, os.path.join(${JSON.stringify(here)}, '..', 'tests', 'ml'))
m = importlib.import_module('make-asr-reference')
labels, eeg, fs = m.read_edf(os.path.join(m.shared, 'data/edf/S001R04.edf'))
for C in (24, 64):
    x = eeg[:C]
    t = time.process_time()
    st = m.asr_calibrate(x[:, :30 * int(fs)], fs, 7.5, 10, *m.shaping_filter(fs), window_len=0.5)
    tc = time.process_time() - t
    t = time.process_time()
    m.asr_process_offline(x, fs, st, 0.5, 32, 0.66)
    tp = time.process_time() - t
    print(f"peer NumPy re-statement {C} ch: calibrate (no clean windows) {tc*1000:.0f} ms; process offline in one call {tp*1000:.0f} ms = {tp / (x.shape[1] / fs):.4f} CPU s per s of EEG")
`;
const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
console.log(r.status === 0 ? r.stdout.trim() : `peer not run (Debian python3 with numpy/scipy needed): ${r.stderr.trim().split('\n').pop()}`);

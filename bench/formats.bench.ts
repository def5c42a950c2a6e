// Benchmark: file-format readers and writers on large synthetic recordings built with our own
// writers (64 ch × 10 min EDF/BDF at 256 Hz; 64 ch × 30 min SNIRF at 20 Hz; the same EEG as an
// EEGLAB .set, MAT v5 plain and compressed), plus the real XDF and muse CSV files when ../shared is
// present. Node only (run: `npx tsx bench/formats.bench.ts`); prints MB/s of file bytes (medians of
// N runs after one warm-up) and the ratio to the targets (EDF/BDF read ≥ 200 MB/s, SNIRF read
// ≥ 50 MB/s), and for the .set SciPy's loadmat and MNE's read_raw_eeglab on the same files when
// Debian's python3-scipy/python3-mne are there; asserts nothing. Finishes in ~1 min.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../src/lib/formats/csv';
import { readEeglab } from '../src/lib/formats/eeglab';
import { matChar, matDouble, matStruct, writeMat, type MatValue } from '../src/lib/formats/mat';
import { readEdf, writeEdf } from '../src/lib/formats/edf';
import { regularTimestamps, type RecordingData } from '../src/lib/formats/recording';
import { loadH5wasm, readSnirf, writeSnirf } from '../src/lib/formats/snirf';
import { readXdf } from '../src/lib/formats/xdf';

const sharedDir = process.env.NEUROTAB_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');

function eegRecording(channels: number, seconds: number, rateHz: number): RecordingData {
  const n = seconds * rateHz;
  const samples = new Float32Array(n * channels);
  let seed = 12345;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const c = i % channels;
    samples[i] = 40 * Math.sin((i / channels) * 0.05 * (c + 1)) + ((seed >>> 8) / 2 ** 24 - 0.5) * 20;
  }
  const start = Date.UTC(2024, 0, 1, 12);
  return {
    meta: { sourceFormat: 'neurotab', startTimeMs: start },
    streams: [{ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: rateHz, channels: Array.from({ length: channels }, (_, c) => ({ label: `E${c + 1}`, unit: 'uV', type: 'EEG' })) }, samples, timestampsMs: regularTimestamps(start, n, rateHz) }],
    markers: Array.from({ length: seconds / 4 }, (_, k) => ({ timestampMs: start + k * 4000 + 500, value: k % 2 ? 'left' : 'right', durationMs: 1000 })),
  };
}

function nirsRecording(pairs: number, seconds: number, rateHz: number): RecordingData {
  const base = eegRecording(pairs * 2, seconds, rateHz);
  const s = base.streams[0];
  s.descriptor = {
    id: 'nirs',
    name: 'nirs',
    kind: 'fnirs',
    sampleRateHz: rateHz,
    channels: [760, 850].flatMap((wl) => Array.from({ length: pairs }, (_, p) => ({ label: `S${(p % 8) + 1}_D${Math.floor(p / 8) + 1} ${wl}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: wl, sourceIndex: (p % 8) + 1, detectorIndex: Math.floor(p / 8) + 1 }))),
  };
  for (let i = 0; i < s.samples.length; i++) s.samples[i] = 1 + Math.abs(s.samples[i]) / 100;
  return base;
}

/** The recording as an EEGLAB EEG struct (data single nbchan × pnts, chanlocs, events). */
function eeglabSet(rec: RecordingData): Record<string, MatValue> {
  const s = rec.streams[0];
  const nc = s.descriptor.channels.length;
  const pnts = s.timestampsMs.length;
  const rate = s.descriptor.sampleRateHz;
  const t0 = s.timestampsMs[0];
  return {
    EEG: matStruct({
      setname: matChar('bench'),
      nbchan: matDouble([nc]),
      pnts: matDouble([pnts]),
      trials: matDouble([1]),
      srate: matDouble([rate]),
      xmin: matDouble([0]),
      // Frame-major samples are MATLAB's column-major nbchan × pnts.
      data: { kind: 'numeric', class: 'single', dims: [nc, pnts], real: s.samples },
      chanlocs: matStruct(s.descriptor.channels.map((c, i) => ({ labels: matChar(c.label), type: matChar('EEG'), X: matDouble([Math.cos(i)]), Y: matDouble([Math.sin(i)]), Z: matDouble([0.5]) }))),
      event: matStruct(rec.markers.map((m) => ({ type: matChar(m.value), latency: matDouble([((m.timestampMs - t0) / 1000) * rate + 1]), duration: matDouble([0]) }))),
    }),
  };
}

/** SciPy's loadmat and MNE's read_raw_eeglab on `files` (median of 3 after a warm-up, ms), or null without them. */
function pythonPeers(files: string[]): Record<string, { loadmat: number; mne: number }> | null {
  const script = `
import json, sys, time, scipy.io as sio, mne
def med(fn):
    fn(); ts = []
    for _ in range(3):
        t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[1]
print(json.dumps({p: {'loadmat': med(lambda: sio.loadmat(p)), 'mne': med(lambda: mne.io.read_raw_eeglab(p, preload=True, verbose='error'))} for p in sys.argv[1:]}))
`;
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return null;
  }
}

interface Timing {
  wallMs: number;
  /** Process CPU time (user + system) of the run: the readers are single-threaded, so on a busy
   *  shared machine this is closer to the work itself than wall time. */
  cpuMs: number;
}

async function time(runs: number, fn: () => unknown | Promise<unknown>): Promise<Timing> {
  await fn(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return { wallMs: med(wall), cpuMs: med(cpu) };
}

function row(name: string, bytes: number, t: Timing, targetMBs?: number): void {
  const mbs = bytes / 1e6 / (t.wallMs / 1000);
  const cpuMbs = bytes / 1e6 / (Math.max(t.cpuMs, 0.001) / 1000);
  const target = targetMBs ? `  target ${targetMBs} MB/s → ${(mbs / targetMBs).toFixed(2)}× wall, ${(cpuMbs / targetMBs).toFixed(2)}× cpu` : '';
  console.log(
    `${name.padEnd(44)} ${(bytes / 1e6).toFixed(1).padStart(6)} MB  ${t.wallMs.toFixed(1).padStart(8)} ms  ${mbs.toFixed(0).padStart(5)} MB/s wall  ${cpuMbs.toFixed(0).padStart(5)} MB/s cpu${target}`,
  );
}

async function main(): Promise<void> {
  console.log('formats benchmark (median of runs after a warm-up; MB = 10^6 bytes of file)\n');
  const eeg = eegRecording(64, 600, 256);
  for (const format of ['edf', 'bdf'] as const) {
    const bytes = writeEdf(eeg, { format });
    row(`read ${format.toUpperCase()} 64 ch × 10 min @ 256 Hz`, bytes.length, await time(7, () => readEdf(bytes, `bench.${format}`)), 200);
    row(`write ${format.toUpperCase()} (same)`, bytes.length, await time(3, () => writeEdf(eeg, { format })));
  }

  console.log('');
  const set = eeglabSet(eeg);
  const dir = mkdtempSync(join(tmpdir(), 'bench-set-'));
  const files: string[] = [];
  for (const compress of [false, true]) {
    const bytes = writeMat(set, { compress, description: 'bench' });
    const f = join(dir, compress ? 'compressed.set' : 'plain.set');
    writeFileSync(f, bytes);
    files.push(f);
    row(`read EEGLAB .set 64 ch × 10 min (MAT v5${compress ? ', zlib' : ''})`, bytes.length, await time(5, () => readEeglab(bytes, 'bench.set')));
  }
  const peers = pythonPeers(files);
  if (!peers) console.log('  (no /usr/bin/python3 with scipy and mne: peers not timed)');
  else
    for (const f of files) {
      const bytes = readFileSync(f).length;
      const ours = await time(3, () => {
        const b = readFileSync(f);
        return readEeglab(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), f);
      });
      const p = peers[f];
      console.log(
        `  ${f.endsWith('compressed.set') ? 'zlib ' : 'plain'}: ours ${ours.wallMs.toFixed(0)} ms (with the file read), SciPy loadmat ${p.loadmat.toFixed(0)} ms (×${(p.loadmat / ours.wallMs).toFixed(2)}), MNE read_raw_eeglab ${p.mne.toFixed(0)} ms (×${(p.mne / ours.wallMs).toFixed(2)}); ${(bytes / 1e6).toFixed(1)} MB`,
      );
    }

  const t0 = performance.now();
  await loadH5wasm();
  console.log(`\nh5wasm load: ${(performance.now() - t0).toFixed(0)} ms (once per process)`);
  const nirs = nirsRecording(32, 1800, 20);
  const snirf = await writeSnirf(nirs);
  row('read SNIRF 64 ch × 30 min @ 20 Hz (f64)', snirf.length, await time(5, () => readSnirf(snirf, 'bench.snirf')), 50);
  row('write SNIRF (same)', snirf.length, await time(3, () => writeSnirf(nirs)));

  if (existsSync(join(sharedDir, 'data'))) {
    console.log('');
    const xdf = new Uint8Array(readFileSync(join(sharedDir, 'data/xdf/xdfmodules_clock_resets.xdf')));
    row('read XDF clock_resets (sync + dejitter)', xdf.length, await time(5, () => readXdf(xdf, 'clock_resets.xdf')));
    const muse = new Uint8Array(readFileSync(join(sharedDir, 'data/muse-csv/P300_s1_sess1_data_2017-02-04-15_45_13.csv')));
    row('read muse-lsl CSV', muse.length, await time(5, () => readCsv(muse, 'muse.csv')));
    const obci = new Uint8Array(readFileSync(join(sharedDir, 'data/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt')));
    row('read OpenBCI GUI v6 text', obci.length, await time(5, () => readCsv(obci, 'obci.txt')));
    const s001 = new Uint8Array(readFileSync(join(sharedDir, 'data/edf/S001R04.edf')));
    row('read EDF+ S001R04 (real, 64 ch, 2.6 MB)', s001.length, await time(9, () => readEdf(s001, 'S001R04.edf')), 200);
  }
}

void main();

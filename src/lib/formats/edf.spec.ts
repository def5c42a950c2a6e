import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { referenceArray, referenceError, referenceJson, sharedBytes, needsShared } from '../../../tests/support/shared';
import { gapStarts, readEdf, readEdfHeader, writeEdf, formatField8 } from './edf';
import { channelData, regularTimestamps, type RecordingData } from './recording';

describe('readEdf on real files', needsShared, () => {
  it('reads EEGMMIDB S001R04 like MNE (C3.. raw values, 64 channels, 160 Hz, annotations)', () => {
    const ref = referenceJson('eeg_csp_lda');
    const rec = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    expect(rec.meta.sourceFormat).toBe('edf');
    expect(rec.meta.startTimeMs).toBe(Date.UTC(2009, 7, 12, 16, 15, 0));
    expect(rec.streams).toHaveLength(1);
    const s = rec.streams[0];
    expect(s.descriptor.kind).toBe('eeg');
    expect(s.descriptor.sampleRateHz).toBe(160);
    expect(s.descriptor.channels.map((c) => c.label)).toEqual(ref.ch_names);
    expect(s.descriptor.channels.every((c) => c.unit === 'uV')).toBe(true);
    expect(s.timestampsMs.length).toBe(20000);
    const check = ref.filter.check_channel;
    const c3 = channelData(s, check.channel_index);
    const expectedV = referenceArray(check.raw);
    // MNE reports volts; we keep the file's µV. Digital = µV here, so float32 is exact.
    const actualV = Float64Array.from(c3, (x) => x * 1e-6);
    expect(referenceError(actualV, expectedV, 'nmax')).toBeLessThan(1e-12);
    // 30 annotations: 15 T0, T1 ×8, T2 ×7; the T1/T2 onsets are MNE's first 15 event onsets.
    expect(rec.markers).toHaveLength(30);
    expect(rec.markers.filter((m) => m.value === 'T1')).toHaveLength(8);
    expect(rec.markers.filter((m) => m.value === 'T2')).toHaveLength(7);
    const task = rec.markers.filter((m) => m.value !== 'T0');
    const onsets = task.map((m) => (m.timestampMs - rec.meta.startTimeMs!) / 1000);
    ref.events.annotation_onsets_s.slice(0, 15).forEach((o: number, i: number) => expect(onsets[i]).toBeCloseTo(o, 9));
    expect(task.map((m) => (m.value === 'T1' ? 2 : 3))).toEqual(ref.events.codes.slice(0, 15));
    expect(rec.markers[0].durationMs).toBeCloseTo(4200, 6);
  });

  it('takes the sub-second start from the first TAL and handles inverted physical ranges', () => {
    const bytes = sharedBytes('data/edf/pyedflib_test_subsecond.edf');
    const h = readEdfHeader(bytes, 'sub.edf');
    expect(h.variant).toBe('EDF+C');
    expect(h.signals[0].physicalMin).toBe(8711);
    expect(h.signals[0].physicalMax).toBe(-8711);
    const rec = readEdf(bytes, 'sub.edf');
    const headerSecond = Date.UTC(2020, 0, 24, 4, 5, 56);
    // First TAL: "+0.3945312" → start 0.3945312 s after the header's second.
    expect(rec.meta.startTimeMs! - headerSecond).toBeCloseTo(394.5312, 3);
    expect(rec.streams[0].timestampsMs[0]).toBe(rec.meta.startTimeMs);
    expect(rec.streams[0].timestampsMs.length).toBe(698 * 128);
    expect(rec.markers.map((m) => m.value)).toEqual(['XLSpike', 'Clip Note', 'XLEvent', 'XLSpike']);
    expect(rec.markers[0].timestampMs - headerSecond).toBeCloseTo(2345.7031, 3);
    // Negative gain: digital d → physical −d·8711/((dmax−dmin)/2)·… check one sample from raw bytes.
    const s = h.signals[0];
    const d0 = new DataView(bytes.buffer, bytes.byteOffset).getInt16(h.headerBytes, true);
    const gain = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
    expect(gain).toBeLessThan(0);
    expect(rec.streams[0].samples[0]).toBeCloseTo((d0 - s.digitalMin) * gain + s.physicalMin, 3);
  });

  it('decodes UTF-8 annotation text', () => {
    const rec = readEdf(sharedBytes('data/edf/pyedflib_test_utf8.edf'), 'utf8.edf');
    expect(rec.markers).toHaveLength(5);
    const m = rec.markers.find((x) => x.value === '中文测试八个字');
    expect(m).toBeDefined();
    expect(m!.timestampMs - Date.UTC(2020, 0, 24, 4, 5, 56)).toBeCloseTo(120_000, 6);
  });

  it('reads BioSemi 24-bit BDF and turns the Status channel into trigger markers', () => {
    const rec = readEdf(sharedBytes('data/bdf/Newtest17-256.bdf'), 'Newtest17-256.bdf');
    expect(rec.meta.sourceFormat).toBe('bdf');
    expect(rec.meta.startTimeMs).toBe(Date.UTC(2001, 10, 5, 19, 38, 42));
    const eeg = rec.streams.find((s) => s.descriptor.id === 'eeg')!;
    expect(eeg.descriptor.channels.map((c) => c.label)).toEqual(Array.from({ length: 16 }, (_, i) => `A${i + 1}`));
    expect(eeg.descriptor.sampleRateHz).toBe(256);
    expect(eeg.timestampsMs.length).toBe(60 * 256);
    const status = rec.streams.find((s) => s.descriptor.id === 'status')!;
    expect(status.descriptor.channels[0].type).toBe('STIM');
    // MNE finds 40 trigger onsets of value 255 (rising edges after the first sample).
    const rising = rec.markers.filter((m) => m.value === '255' && m.timestampMs > rec.meta.startTimeMs!);
    expect(rising).toHaveLength(40);
  });

  it('reads mixed-rate BDF+ (EDFbrowser generator) into one stream per rate', () => {
    const rec = readEdf(sharedBytes('data/bdf/pyedflib_test_generator.bdf'), 'gen.bdf');
    const rates = rec.streams.map((s) => s.descriptor.sampleRateHz).sort((a, b) => a - b);
    expect(rates).toEqual([500, 800, 975, 999, 1000]);
    const sine = rec.streams.find((s) => s.descriptor.channels[0].label === 'sine 5Hz')!;
    expect(sine.descriptor.sampleRateHz).toBe(1000);
    expect(sine.timestampsMs.length).toBe(30_000);
    // The generator writes 1000 µV · sin(2π · 5 Hz · t) starting one sample in; 24-bit step = 6000/2^24 µV.
    let err = 0;
    for (let i = 0; i < 30_000; i++) err = Math.max(err, Math.abs(sine.samples[i] - 1000 * Math.sin((2 * Math.PI * 5 * (i + 1)) / 1000)));
    expect(err).toBeLessThan(2e-3);
    expect(rec.markers).toHaveLength(0);
  });
});

function synthetic(): RecordingData {
  const start = Date.UTC(2024, 4, 6, 10, 20, 30) + 250;
  const n = 256 * 4;
  const samples = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    samples[2 * i] = 50 * Math.sin(i / 7);
    samples[2 * i + 1] = -20 + (i % 13);
  }
  const aux = new Float32Array(25 * 4);
  for (let i = 0; i < aux.length; i++) aux[i] = i * 0.01;
  return {
    meta: { sourceFormat: 'neurotab', startTimeMs: start, subject: 'sub 01' },
    streams: [
      {
        descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 256, channels: [{ label: 'Cz', unit: 'uV', type: 'EEG' }, { label: 'Pz', unit: 'uV', type: 'EEG' }] },
        samples,
        timestampsMs: regularTimestamps(start, n, 256),
      },
      {
        descriptor: { id: 'acc', name: 'acc', kind: 'aux', sampleRateHz: 25, channels: [{ label: 'accel', unit: 'g', type: 'ACCEL' }] },
        samples: aux,
        timestampsMs: regularTimestamps(start, aux.length, 25),
      },
    ],
    markers: [
      { timestampMs: start + 500, value: 'stim ü', durationMs: 250 },
      { timestampMs: start + 3210.5, value: 'end' },
    ],
  };
}

describe('writeEdf → readEdf round trip', () => {
  for (const format of ['edf', 'bdf'] as const) {
    it(`keeps samples within half a digital step, rates, sub-second start and markers (${format})`, () => {
      const src = synthetic();
      const back = readEdf(writeEdf(src, { format }), `x.${format}`);
      expect(back.meta.startTimeMs).toBeCloseTo(src.meta.startTimeMs!, 3);
      expect(back.meta.subject).toBe('sub_01');
      expect(back.streams.map((s) => s.descriptor.sampleRateHz).sort((a, b) => a - b)).toEqual([25, 256]);
      for (const orig of src.streams) {
        const got = back.streams.find((s) => s.descriptor.sampleRateHz === orig.descriptor.sampleRateHz)!;
        expect(got.descriptor.channels.map((c) => [c.label, c.unit])).toEqual(orig.descriptor.channels.map((c) => [c.label, c.unit]));
        expect(got.timestampsMs.length).toBe(orig.timestampsMs.length);
        const nc = orig.descriptor.channels.length;
        for (let c = 0; c < nc; c++) {
          const a = channelData(orig, c);
          const b = channelData(got, c);
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
          const step = (hi - lo + 2e-7 * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-6) / (format === 'edf' ? 65535 : 16777215);
          let err = 0;
          for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
          expect(err).toBeLessThanOrEqual(step / 2 + 1e-5 * Math.max(1, Math.abs(hi)));
        }
        for (let i = 0; i < orig.timestampsMs.length; i += 97) expect(got.timestampsMs[i]).toBeCloseTo(orig.timestampsMs[i], 3);
      }
      expect(back.markers.map((m) => m.value)).toEqual(['stim ü', 'end']);
      expect(back.markers[0].timestampMs).toBeCloseTo(src.markers[0].timestampMs, 3);
      expect(back.markers[0].durationMs).toBeCloseTo(250, 6);
      expect(back.markers[1].timestampMs).toBeCloseTo(src.markers[1].timestampMs, 3);
    });
  }

  it('writes gaps as EDF+D and reads them back as timestamp gaps', () => {
    const start = Date.UTC(2023, 0, 1);
    const n = 100 * 4;
    const t = new Float64Array(n);
    // Records 0–1 at 0–2 s, records 2–3 at 10–12 s.
    for (let i = 0; i < n; i++) t[i] = start + (i < 200 ? i * 10 : 10_000 + (i - 200) * 10);
    const samples = Float32Array.from({ length: n }, (_, i) => i);
    const rec: RecordingData = {
      meta: { sourceFormat: 'neurotab', startTimeMs: start },
      streams: [{ descriptor: { id: 'x', name: 'x', kind: 'eeg', sampleRateHz: 100, channels: [{ label: 'X', unit: 'uV', type: 'EEG' }] }, samples, timestampsMs: t }],
      markers: [{ timestampMs: start + 10_500, value: 'after gap' }],
    };
    const bytes = writeEdf(rec, { format: 'edf' });
    expect(readEdfHeader(bytes).variant).toBe('EDF+D');
    const back = readEdf(bytes);
    expect(back.streams[0].timestampsMs[199]).toBeCloseTo(start + 1990, 6);
    expect(back.streams[0].timestampsMs[200]).toBeCloseTo(start + 10_000, 6);
    expect(back.streams[0].timestampsMs[399]).toBeCloseTo(start + 11_990, 6);
    expect(back.markers[0].timestampMs).toBeCloseTo(start + 10_500, 6);
  });

  it('round-trips BioSemi Status triggers through BDF+ without duplicating them', needsShared, () => {
    const src = readEdf(sharedBytes('data/bdf/Newtest17-256.bdf'), 'Newtest17-256.bdf');
    const back = readEdf(writeEdf(src, { format: 'bdf' }), 'copy.bdf');
    expect(back.markers.map((m) => m.value)).toEqual(src.markers.map((m) => m.value));
    back.markers.forEach((m, i) => expect(m.timestampMs).toBeCloseTo(src.markers[i].timestampMs, 3));
    const status = back.streams.find((s) => s.descriptor.id === 'status')!;
    expect(Array.from(status.samples)).toEqual(Array.from(src.streams.find((s) => s.descriptor.id === 'status')!.samples));
  });

  it('timestamps taken at arrival (late, then catching up) are jitter, not gaps: EDF+C with every frame; a real gap among them is one', () => {
    const start = Date.UTC(2024, 2, 1);
    const n = 1000;
    // 100 Hz stamped at push time: every 50th push is 35 ms late and the next ones catch up 5 ms each.
    const jittered = (gapAt: number | null) =>
      Float64Array.from({ length: n }, (_, i) => {
        const late = [0, 35, 30, 25, 20, 15, 10, 5][i % 50] ?? 0;
        return start + i * 10 + late + (gapAt !== null && i >= gapAt ? 2000 : 0);
      });
    const rec = (t: Float64Array): RecordingData => ({
      meta: { sourceFormat: 'neurotab', startTimeMs: start },
      streams: [{ descriptor: { id: 'x', name: 'x', kind: 'eeg', sampleRateHz: 100, channels: [{ label: 'X', unit: 'uV', type: 'EEG' }] }, samples: Float32Array.from({ length: n }, (_, i) => i), timestampsMs: t }],
      markers: [],
    });
    expect(gapStarts(jittered(null), 100)).toEqual([0]);
    const bytes = writeEdf(rec(jittered(null)), { format: 'bdf' });
    expect(readEdfHeader(bytes).variant).toBe('BDF+C');
    const back = readEdf(bytes);
    expect(back.streams[0].samples.length).toBe(n);
    back.streams[0].samples.forEach((v, i) => expect(Math.abs(v - i)).toBeLessThan(1e-3));
    // 2 s missing before frame 620 (a late push is no excuse: the frames after it stay late)
    const withGap = jittered(620);
    expect(gapStarts(withGap, 100)).toEqual([0, 620]);
    const d = readEdf(writeEdf(rec(withGap), { format: 'bdf' }));
    // segment 1: 620 frames + 80 padding to whole 1 s records; segment 2 from the first frame after the gap
    expect(d.streams[0].samples[619]).toBeCloseTo(619, 3);
    expect(d.streams[0].samples[700]).toBeCloseTo(620, 3);
    expect(d.streams[0].timestampsMs[700]).toBeCloseTo(withGap[620], 6);
    expect(d.streams[0].timestampsMs[799] - d.streams[0].timestampsMs[700]).toBeCloseTo(990, 6);
  });

  it('places gaps that fall inside a record: each segment starts a record, padding is appended', () => {
    const start = Date.UTC(2023, 5, 1);
    const t: number[] = [];
    for (let i = 0; i < 150; i++) t.push(start + i * 10);
    for (let i = 0; i < 120; i++) t.push(start + 7000 + i * 10);
    const eeg = Float32Array.from(t, (_, i) => i);
    const auxT: number[] = [];
    for (let i = 0; i < 15; i++) auxT.push(start + i * 100);
    for (let i = 0; i < 12; i++) auxT.push(start + 7000 + i * 100);
    const rec: RecordingData = {
      meta: { sourceFormat: 'neurotab', startTimeMs: start },
      streams: [
        { descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 100, channels: [{ label: 'X', unit: 'uV', type: 'EEG' }] }, samples: eeg, timestampsMs: Float64Array.from(t) },
        { descriptor: { id: 'aux', name: 'aux', kind: 'aux', sampleRateHz: 10, channels: [{ label: 'A', unit: 'g', type: 'MISC' }] }, samples: Float32Array.from(auxT, (_, i) => 1000 + i), timestampsMs: Float64Array.from(auxT) },
      ],
      markers: [],
    };
    const bytes = writeEdf(rec, { format: 'bdf' });
    expect(readEdfHeader(bytes).variant).toBe('BDF+D');
    const back = readEdf(bytes);
    const e = back.streams.find((s) => s.descriptor.sampleRateHz === 100)!;
    const a = back.streams.find((s) => s.descriptor.sampleRateHz === 10)!;
    // Segment 1: 150 real frames + 50 padding (value of frame 149); segment 2 from frame 200.
    expect(e.timestampsMs.length).toBe(200 + 200);
    for (const i of [0, 75, 149]) expect(e.timestampsMs[i]).toBeCloseTo(t[i], 6);
    expect(e.samples[199]).toBeCloseTo(149, 3);
    for (const [i, j] of [[200, 150], [319, 269]]) {
      expect(e.timestampsMs[i]).toBeCloseTo(t[j], 6);
      expect(e.samples[i]).toBeCloseTo(j, 3);
    }
    // The 10 Hz stream follows by time: its second segment starts at the record at +7 s.
    expect(a.timestampsMs[20]).toBeCloseTo(start + 7000, 6);
    expect(a.samples[20]).toBeCloseTo(1015, 3);
    expect(a.samples[14]).toBeCloseTo(1014, 3);
  });

  it('round-trips S001R04 bit-exactly where the data are whole µV', needsShared, () => {
    const src = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const back = readEdf(writeEdf(src, { format: 'edf' }), 'copy.edf');
    const a = src.streams[0].samples;
    const b = back.streams[0].samples;
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
    // Ranges chosen from the data: step ≤ (max − min)/65535 ≤ ~0.25 µV here.
    expect(err).toBeLessThan(0.15);
    expect(back.markers.map((m) => [m.value, m.timestampMs, m.durationMs])).toEqual(src.markers.map((m) => [m.value, m.timestampMs, m.durationMs]));
  });
});

/** A hand-made EDF+ file, byte by byte per the spec (independent of writeEdf). */
function handmadeEdf(opts: { reserved: string; records: number | -1; tals: string[]; samples: number[][] }): Uint8Array {
  const ns = 2;
  const spr = 4;
  const annSpr = 16; // 32 bytes of TAL per record
  const field = (s: string, n: number) => s.padEnd(n, ' ').slice(0, n);
  let h = field('0', 8) + field('X X X X', 80) + field('Startdate 02-MAR-2021 X X X', 80) + '02.03.21' + '10.20.30';
  h += field(String(256 * (ns + 1)), 8) + field(opts.reserved, 44) + field(String(opts.records), 8) + field('1', 8) + field(String(ns), 4);
  const sig = [
    ['X', 'EDF Annotations'],
    ['', ''],
    ['uV', ''],
    ['-100', '-1'],
    ['100', '1'],
    ['-32768', '-32768'],
    ['32767', '32767'],
    ['', ''],
    [String(spr), String(annSpr)],
    ['', ''],
  ];
  const lens = [16, 80, 8, 8, 8, 8, 8, 80, 8, 32];
  sig.forEach((vals, k) => vals.forEach((v) => (h += field(v, lens[k]))));
  const head = Uint8Array.from(h, (c) => c.charCodeAt(0));
  const recBytes = (spr + annSpr) * 2;
  const out = new Uint8Array(head.length + opts.tals.length * recBytes);
  out.set(head);
  opts.tals.forEach((tal, r) => {
    const base = head.length + r * recBytes;
    const dv = new DataView(out.buffer, base, recBytes);
    opts.samples[r].forEach((d, i) => dv.setInt16(i * 2, d, true));
    out.set(new TextEncoder().encode(tal), base + spr * 2);
  });
  return out;
}

describe('hand-made EDF+ files', () => {
  it('EDF+D: record starts come from each record\'s first TAL (gaps), durations and texts from the rest', () => {
    const bytes = handmadeEdf({
      reserved: 'EDF+D',
      records: 3,
      tals: ['+0.5\x14\x14\x00', '+3\x14\x14\x00+3.25\x152\x14stim\x14\x00', '+10\x14\x14\x00'],
      samples: [[0, 1, 2, 3], [-32768, 0, 32767, 4], [5, 6, 7, 8]],
    });
    const rec = readEdf(bytes, 'd.edf');
    const t0 = Date.UTC(2021, 2, 2, 10, 20, 30);
    expect(rec.meta.startTimeMs).toBe(t0 + 500);
    const t = Array.from(rec.streams[0].timestampsMs, (x) => x - t0);
    expect(t).toEqual([500, 750, 1000, 1250, 3000, 3250, 3500, 3750, 10000, 10250, 10500, 10750]);
    expect(rec.markers).toEqual([{ timestampMs: t0 + 3250, value: 'stim', durationMs: 2000 }]);
    // physical = (d + 32768) · 200/65535 − 100
    expect(rec.streams[0].samples[4]).toBeCloseTo(-100, 4);
    expect(rec.streams[0].samples[6]).toBeCloseTo(100, 4);
  });

  it('EDF+C with "-1" records: count derived from the file size, start offset from the first TAL', () => {
    const bytes = handmadeEdf({ reserved: 'EDF+C', records: -1, tals: ['+0.125\x14\x14\x00', '+1.125\x14\x14\x00'], samples: [[1, 2, 3, 4], [5, 6, 7, 8]] });
    const rec = readEdf(bytes, 'c.edf');
    expect(rec.streams[0].timestampsMs).toHaveLength(8);
    expect(rec.streams[0].timestampsMs[4] - rec.streams[0].timestampsMs[0]).toBeCloseTo(1000, 6);
    expect(rec.meta.startTimeMs! - Date.UTC(2021, 2, 2, 10, 20, 30)).toBeCloseTo(125, 6);
  });
});

describe('EDF header errors', () => {
  it('names the file and the field', () => {
    const good = writeEdf(synthetic(), { format: 'edf' });
    const bad = good.slice();
    bad[0] = 'X'.charCodeAt(0);
    expect(() => readEdf(bad, 'a.edf')).toThrow(/a\.edf: header field version/);
    const trunc = good.slice(0, good.length - 10);
    expect(() => readEdf(trunc, 'b.edf')).toThrow(InputError);
    expect(() => readEdf(trunc, 'b.edf')).toThrow(/b\.edf: header field number of data records .*truncated/);
    const ns = good.slice();
    ns.set(new TextEncoder().encode('9999'), 252);
    expect(() => readEdf(ns, 'c.edf')).toThrow(/c\.edf: header field number of signals is 9999/);
  });

  it('formats 8-character fields that enclose the value', () => {
    expect(formatField8(-8092)).toBe('-8092');
    expect(Number(formatField8(-1.234567891, -1))).toBeLessThanOrEqual(-1.234567891);
    expect(Number(formatField8(123456.789, 1))).toBeGreaterThanOrEqual(123456.789);
    expect(formatField8(123456.789, 1).length).toBeLessThanOrEqual(8);
  });
});

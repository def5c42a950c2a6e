// Fuzzing every reader with fast-check: truncations, bit flips, absurd header numbers and wrong
// magic must end in either a valid recording or an InputError that names the file — never a
// TypeError/RangeError, a hang, or an allocation sized by a lying header. Seeds are fixed so the
// suite is deterministic; raise numRuns locally to search harder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { readCsv, readMarkersCsv, writeCsv, writeMarkersCsv } from './csv';
import { readEdf, writeEdf } from './edf';
import { assertRecording, regularTimestamps, type RecordingData } from './recording';
import { readSnirf, writeSnirf } from './snirf';
import { readXdf, readXdfStreams } from './xdf';

const FILE = 'fuzzed.bin';

function sample(kind: 'eeg' | 'fnirs'): RecordingData {
  const start = Date.UTC(2022, 5, 1, 8, 0, 0) + 125;
  const n = 64;
  const channels =
    kind === 'eeg'
      ? [{ label: 'Cz', unit: 'uV', type: 'EEG' }, { label: 'Pz', unit: 'uV', type: 'EEG' }]
      : [690, 830].map((wl) => ({ label: `S1_D1 ${wl}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: wl, sourceIndex: 1, detectorIndex: 1 }));
  return {
    meta: { sourceFormat: 'neurotab', startTimeMs: start },
    streams: [{ descriptor: { id: kind, name: kind, kind, sampleRateHz: 32, channels }, samples: Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i) * 40 + 50), timestampsMs: regularTimestamps(start, n, 32) }],
    markers: [{ timestampMs: start + 300, value: 'cue ✓', durationMs: 100 }, { timestampMs: start + 1500, value: 'end' }],
  };
}

/** A mutation of valid bytes: truncation, bit flips, overwritten runs of bytes, or a numeric header field set to an absurd value. */
function mutated(base: Uint8Array, numericFields: [number, number][] = []): fc.Arbitrary<Uint8Array> {
  const truncate = fc.nat({ max: base.length - 1 }).map((n) => base.slice(0, n));
  const flips = fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }).map((fl) => {
    const b = base.slice();
    for (const [i, bit] of fl) b[i] ^= 1 << bit;
    return b;
  });
  const overwrite = fc.tuple(fc.nat({ max: base.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, bytes]) => {
    const b = base.slice();
    b.set(bytes.subarray(0, b.length - at), at);
    return b;
  });
  const arbs: fc.Arbitrary<Uint8Array>[] = [truncate, flips, overwrite];
  if (numericFields.length) {
    const absurd = fc.constantFrom('99999999', '-99', '1e300', 'NaN', '0', '-1', '2147483647', '    ', 'x');
    arbs.push(
      fc.tuple(fc.constantFrom(...numericFields), absurd).map(([[off, len], value]) => {
        const b = base.slice();
        const text = value.padEnd(len, ' ').slice(0, len);
        for (let i = 0; i < len; i++) b[off + i] = text.charCodeAt(i);
        return b;
      }),
    );
  }
  return fc.oneof(...arbs);
}

function expectCleanOutcome(run: () => RecordingData): void {
  let rec: RecordingData;
  try {
    rec = run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(FILE);
    return;
  }
  assertRecording(rec);
}

async function expectCleanOutcomeAsync(run: () => Promise<RecordingData>): Promise<void> {
  let rec: RecordingData;
  try {
    rec = await run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(FILE);
    return;
  }
  assertRecording(rec);
}

// ---- XDF fixtures built byte by byte (also covers every numeric channel format).
const enc = new TextEncoder();
function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}
function chunk(tag: number, content: Uint8Array): Uint8Array {
  const tagBytes = new Uint8Array([tag & 0xff, tag >> 8]);
  return cat(new Uint8Array([4]), u32(content.length + 2), tagBytes, content);
}
function streamHeader(id: number, name: string, fmt: string, nch: number, srate: number, type = 'EEG'): Uint8Array {
  const xml = `<?xml version="1.0"?><info><name>${name}</name><type>${type}</type><channel_count>${nch}</channel_count><nominal_srate>${srate}</nominal_srate><channel_format>${fmt}</channel_format><desc><channels>${Array.from({ length: nch }, (_, i) => `<channel><label>c${i}</label><unit>microvolts</unit><type>EEG</type></channel>`).join('')}</channels></desc></info>`;
  return chunk(2, cat(u32(id), enc.encode(xml)));
}
function numericSamples(id: number, fmt: string, rows: { t?: number; v: number[] }[]): Uint8Array {
  const size = { int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, double64: 8 }[fmt]!;
  const parts: Uint8Array[] = [u32(id), new Uint8Array([1, rows.length])];
  for (const r of rows) {
    const ts = new Uint8Array(r.t === undefined ? 1 : 9);
    if (r.t !== undefined) {
      ts[0] = 8;
      new DataView(ts.buffer).setFloat64(1, r.t, true);
    }
    const vals = new Uint8Array(size * r.v.length);
    const dv = new DataView(vals.buffer);
    r.v.forEach((x, i) => {
      const o = i * size;
      if (fmt === 'int8') dv.setInt8(o, x);
      else if (fmt === 'int16') dv.setInt16(o, x, true);
      else if (fmt === 'int32') dv.setInt32(o, x, true);
      else if (fmt === 'int64') dv.setBigInt64(o, BigInt(x), true);
      else if (fmt === 'float32') dv.setFloat32(o, x, true);
      else dv.setFloat64(o, x, true);
    });
    parts.push(ts, vals);
  }
  return chunk(3, cat(...parts));
}
function stringSamples(id: number, rows: { t: number; s: string }[]): Uint8Array {
  const parts: Uint8Array[] = [u32(id), new Uint8Array([1, rows.length])];
  for (const r of rows) {
    const ts = new Uint8Array(9);
    ts[0] = 8;
    new DataView(ts.buffer).setFloat64(1, r.t, true);
    const s = enc.encode(r.s);
    parts.push(ts, new Uint8Array([1, s.length]), s);
  }
  return chunk(3, cat(...parts));
}
function clockOffset(id: number, time: number, value: number): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setFloat64(0, time, true);
  new DataView(b.buffer).setFloat64(8, value, true);
  return chunk(4, cat(u32(id), b));
}
const FORMATS = ['int8', 'int16', 'int32', 'int64', 'float32', 'double64'] as const;
function syntheticXdf(): Uint8Array {
  const parts: Uint8Array[] = [enc.encode('XDF:'), chunk(1, enc.encode('<?xml version="1.0"?><info><version>1.0</version></info>'))];
  FORMATS.forEach((fmt, k) => {
    parts.push(streamHeader(k + 1, `s-${fmt}`, fmt, 2, 100));
    // First sample stamped, the rest deduced from the nominal rate (timestamp byte 0).
    parts.push(numericSamples(k + 1, fmt, [{ t: 10, v: [1, -2] }, { v: [3, -4] }, { v: [5, -6] }]));
  });
  parts.push(streamHeader(9, 'markers', 'string', 1, 0, 'Markers'));
  parts.push(stringSamples(9, [{ t: 10.005, s: 'stim ä' }, { t: 10.015, s: '' }]));
  parts.push(clockOffset(1, 10, 0.5), clockOffset(1, 15, 0.5));
  parts.push(chunk(5, new Uint8Array(16)));
  parts.push(chunk(6, cat(u32(1), enc.encode('<?xml version="1.0"?><info><sample_count>3</sample_count></info>'))));
  return cat(...parts);
}

describe('XDF synthetic file: every numeric format, deduced timestamps, string samples', () => {
  it('reads values and timestamps exactly', () => {
    const { streams } = readXdfStreams(syntheticXdf(), 'syn.xdf');
    FORMATS.forEach((fmt, k) => {
      const s = streams[k];
      expect(s.channelFormat).toBe(fmt);
      expect(Array.from(s.values!)).toEqual([1, -2, 3, -4, 5, -6]);
      // Stream 1 has a constant +0.5 s clock offset; the others none.
      const shift = k === 0 ? 0.5 : 0;
      [10, 10.01, 10.02].forEach((t, i) => expect(s.timeStampsS[i]).toBeCloseTo(t + shift, 9));
    });
    expect(streams[6].strings).toEqual([['stim ä'], ['']]);
    const rec = readXdf(syntheticXdf(), 'syn.xdf');
    expect(rec.streams).toHaveLength(6);
    expect(rec.streams[0].descriptor.channels[0]).toEqual({ label: 'c0', unit: 'uV', type: 'EEG' });
    expect(rec.markers.map((m) => m.value)).toEqual(['stim ä', '']);
  });
});

describe('fuzzing readers (fixed seeds)', () => {
  it('readEdf / BDF survive mutations of a valid file', () => {
    for (const format of ['edf', 'bdf'] as const) {
      const base = writeEdf(sample('eeg'), { format });
      // Numeric header fields: header bytes, records, duration, ns, first signal's ranges and samples/record.
      const ns = 3;
      const fields: [number, number][] = [[184, 8], [236, 8], [244, 8], [252, 4], [256 + 104 * ns, 8], [256 + 112 * ns, 8], [256 + 120 * ns, 8], [256 + 128 * ns, 8], [256 + 216 * ns, 8]];
      fc.assert(fc.property(mutated(base, fields), (b) => expectCleanOutcome(() => readEdf(b, FILE))), { numRuns: 400, seed: 1234 });
    }
  });

  it('readEdf rejects a lying record count or sample count before allocating', () => {
    const base = writeEdf(sample('eeg'), { format: 'edf' });
    const lie = base.slice();
    lie.set(enc.encode('99999999'), 236);
    expect(() => readEdf(lie, FILE)).toThrow(/number of data records is 99999999 .* truncated/);
    const lie2 = base.slice();
    lie2.set(enc.encode('99999999'), 256 + 216 * 3);
    expect(() => readEdf(lie2, FILE)).toThrow(/samples per record of signal 1 \(Cz\) is 99999999/);
  });

  it('readXdf survives mutations of a valid file', () => {
    const base = syntheticXdf();
    fc.assert(fc.property(mutated(base), (b) => expectCleanOutcome(() => readXdf(b, FILE))), { numRuns: 600, seed: 99 });
  });

  it('readXdf rejects a lying sample count before allocating', () => {
    const b = cat(enc.encode('XDF:'), streamHeader(1, 'x', 'double64', 1000, 1), chunk(3, cat(u32(1), new Uint8Array([4]), u32(0xffffffff))));
    expect(() => readXdf(b, FILE)).toThrow(/sample count 4294967295 needs at least/);
  });

  it('readCsv survives mutations of every text layout and arbitrary text', () => {
    const bases = [
      writeCsv(sample('eeg'))[0].bytes,
      enc.encode('%OpenBCI Raw EXG Data\n%Number of channels = 2\n%Sample Rate = 250 Hz\nSample Index, EXG Channel 0, EXG Channel 1, Timestamp, Marker\n0, 1.5, 2.5, 1557936053329, 0\n1, 1.6, 2.6, 1557936053333, 3\n'),
      enc.encode('timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker\n1.5,1,2,3,4,5,0\n1.504,1,2,3,4,5,1\n'),
      enc.encode(Array.from({ length: 3 }, (_, i) => Array.from({ length: 15 }, (_, k) => (k === 13 ? 1700000000 + i : k)).join('\t')).join('\n')),
    ];
    for (const [k, base] of bases.entries()) {
      fc.assert(fc.property(mutated(base), (b) => expectCleanOutcome(() => readCsv(b, FILE))), { numRuns: 250, seed: 7 + k });
    }
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => expectCleanOutcome(() => readCsv(enc.encode(s), FILE))), { numRuns: 300, seed: 5 });
  });

  it('readMarkersCsv survives mutations', () => {
    const base = writeMarkersCsv(sample('eeg').markers);
    fc.assert(
      fc.property(mutated(base), (b) => {
        try {
          readMarkersCsv(b, FILE);
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          expect((e as Error).message).toContain(FILE);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('readSnirf survives mutations of a valid file', async () => {
    const base = await writeSnirf(sample('fnirs'));
    await fc.assert(fc.asyncProperty(mutated(base), (b) => expectCleanOutcomeAsync(() => readSnirf(b, FILE))), { numRuns: 60, seed: 3 });
    // Still usable afterwards.
    const ok = await readSnirf(base, 'ok.snirf');
    expect(ok.streams[0].timestampsMs.length).toBe(64);
  });

  it('wrong magic is named as such', async () => {
    const junk = enc.encode('PK\x03\x04 certainly not a recording'.padEnd(300, '.'));
    expect(() => readEdf(junk, FILE)).toThrow(/fuzzed\.bin: header field version/);
    expect(() => readXdf(junk, FILE)).toThrow(/fuzzed\.bin: magic is not "XDF:"/);
    await expect(readSnirf(junk, FILE)).rejects.toThrow(/fuzzed\.bin: no HDF5 signature/);
  });
});

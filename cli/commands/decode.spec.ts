import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { encodeBlueberryPacket } from '../../src/lib/devices/drivers/blueberry/decoder.ts';
import { BLUEBERRY_LONG_PATH } from '../../src/lib/devices/drivers/blueberry/descriptor.ts';
import { MUSE_CHARACTERISTICS } from '../../src/lib/devices/drivers/muse-2/descriptor.ts';
import { cytonUvPerCount } from '../../src/lib/devices/drivers/openbci-cyton/decoder.ts';
import { encodeCytonPacket } from '../../src/lib/devices/drivers/openbci-cyton/encoder.ts';
import { decodeCaptureFile, parseDecodeArgs, parseIsoMs, run } from './decode.ts';

const dir = mkdtempSync(join(tmpdir(), 'neurotab-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  return fn().finally(() => {
    log.mockRestore();
    err.mockRestore();
  });
}

describe('neurotab decode', () => {
  it('decodes a raw Cyton byte stream into per-stream CSVs with sample indices, timestamps and a gaps file', async () => {
    const parts: Uint8Array[] = [Uint8Array.from([0x12, 0x34])]; // joined mid-stream
    for (let i = 0; i < 20; i++) if (i !== 7 && i !== 8) parts.push(encodeCytonPacket({ counter: 250 + i, counts: [i, -i, 0, 0, 0, 0, 0, 8388607], accel: [16, 0, 0] }));
    const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    const inPath = join(dir, 'cyton.bin');
    writeFileSync(inPath, bytes);
    const out = join(dir, 'cyton.csv');
    expect(await quiet(() => run(['--device', 'openbci-cyton', '--in', inPath, '--out', out]))).toBe(0);
    const eeg = csv(join(dir, 'cyton.eeg.csv'));
    expect(eeg.header).toEqual(['timestamp_ms', 'sample_index', 'EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
    expect(eeg.rows.length).toBe(18);
    expect(eeg.rows.map((r) => Number(r[1]))).toEqual([0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(Number(eeg.rows[7][0])).toBe(36); // 9 × 4 ms at 250 Hz
    expect(Number(eeg.rows[3][2])).toBeCloseTo(3 * cytonUvPerCount(24), 6);
    expect(Number(eeg.rows[0][9])).toBeCloseTo(187500, 1);
    const aux = csv(join(dir, 'cyton.aux.csv'));
    expect(aux.header.slice(2)).toEqual(['accel_x', 'accel_y', 'accel_z']);
    expect(Number(aux.rows[0][2])).toBeCloseTo(0.002, 9);
    const gaps = csv(join(dir, 'cyton.gaps.csv'));
    expect(gaps.rows).toEqual([['28.000', 'gap:openbci-cyton.eeg:2', '8'], ['28.000', 'gap:openbci-cyton.aux:2', '8']]);
  });

  it('decodes a Muse 2 BLE text capture, stamping frames from notification times (dejittered, increasing)', async () => {
    const lines: string[] = [];
    const t0 = Date.parse('2026-01-20T16:33:03.000Z');
    const chars = [MUSE_CHARACTERISTICS.eeg_tp9, MUSE_CHARACTERISTICS.eeg_af7, MUSE_CHARACTERISTICS.eeg_af8, MUSE_CHARACTERISTICS.eeg_tp10];
    for (let seq = 0; seq < 40; seq++) {
      for (let c = 0; c < 4; c++) {
        // Each notification holds 12 samples at 256 Hz: 46.875 ms apart, plus up to 3 ms of jitter.
        const t = new Date(t0 + (seq + 1) * 46.875 + ((seq * 7 + c) % 4) * 0.75);
        const hex = (seq >> 8).toString(16).padStart(2, '0') + (seq & 0xff).toString(16).padStart(2, '0') + '800800'.repeat(6);
        lines.push(`${t.toISOString()}\t${chars[c]}\t${hex}`);
      }
    }
    const inPath = join(dir, 'muse.txt');
    writeFileSync(inPath, lines.join('\n') + '\n');
    const res = decodeCaptureFile(parseDecodeArgs(['--device', 'muse-2', '--in', inPath, '--out', join(dir, 'muse.csv')]));
    expect(res.framesByStream['muse-2.eeg']).toBe(480);
    const eeg = csv(join(dir, 'muse.eeg.csv'));
    expect(eeg.header).toEqual(['timestamp_ms', 'sample_index', 'TP9', 'AF7', 'AF8', 'TP10']);
    expect(Number(eeg.rows[5][2])).toBe(0);
    const ts = eeg.rows.map((r) => Number(r[0]));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
    // After a few notifications the frame spacing stays within 0.2 ms of the nominal 1000/256 ms,
    // while raw notification times jitter by up to 3 ms.
    const late = ts.slice(240);
    const steps = late.slice(1).map((t, i) => t - late[i]);
    for (const s of steps) expect(Math.abs(s - 1000 / 256)).toBeLessThan(0.2);
  });

  it('picks five Muse EEG channels when the capture has right-AUX (273e0007) notifications', () => {
    const chars = [MUSE_CHARACTERISTICS.eeg_tp9, MUSE_CHARACTERISTICS.eeg_af7, MUSE_CHARACTERISTICS.eeg_af8, MUSE_CHARACTERISTICS.eeg_tp10, MUSE_CHARACTERISTICS.eeg_aux];
    const lines = chars.map((c, i) => `2026-01-01T00:00:00.00${i}Z\t${c}\t0007${'800800'.repeat(6)}`);
    const inPath = join(dir, 'muse5.txt');
    writeFileSync(inPath, lines.join('\n'));
    decodeCaptureFile(parseDecodeArgs(['--device', 'muse-2', '--in', inPath, '--out', join(dir, 'muse5.csv')]));
    expect(csv(join(dir, 'muse5.eeg.csv')).header.slice(2)).toEqual(['TP9', 'AF7', 'AF8', 'TP10', 'AUX']);
  });

  it('decodes a Blueberry BLE fNIRS capture into the per-path file it has data for', async () => {
    const lines = [0, 1, 2].map((i) => {
      const hex = Array.from(encodeBlueberryPacket(i, i, [100 + i, 200, 300]), (b) => b.toString(16).padStart(2, '0')).join('');
      return `2026-01-01T00:00:0${i}.250000+00:00\t${BLUEBERRY_LONG_PATH}\t${hex}`;
    });
    const inPath = join(dir, 'bb.txt');
    writeFileSync(inPath, lines.join('\r\n'));
    const res = decodeCaptureFile(parseDecodeArgs(['--device', 'blueberry', '--in', inPath, '--out', join(dir, 'bb.csv')]));
    expect(res.files).toEqual([join(dir, 'bb.long.csv')]);
    const long = csv(join(dir, 'bb.long.csv'));
    expect(long.header).toEqual(['timestamp_ms', 'sample_index', 'long_740', 'long_880', 'long_850']);
    expect(long.rows.map((r) => r[2])).toEqual(['100', '101', '102']);
  });

  it('writes a single-stream device (HEGduino serial text) straight to --out, timed by the device clock', () => {
    const inPath = join(dir, 'heg.bin');
    writeFileSync(inPath, 'boot\r\n1000000|1200|2400|0.5|12|0|0\r\n1040000|1210|2390|0.51|11|0|0\r\n');
    const out = join(dir, 'heg.csv');
    expect(decodeCaptureFile(parseDecodeArgs(['--device', 'hegduino', '--in', inPath, '--out', out])).files).toEqual([out]);
    const c = csv(out);
    expect(c.header).toEqual(['timestamp_ms', 'sample_index', 'red', 'ir', 'ratio', 'ambient']);
    expect(c.rows.map((r) => r[0])).toEqual(['0.000', '40.000']);
  });

  it('parses ISO timestamps with microseconds and offsets', () => {
    expect(parseIsoMs('2025-10-05T14:43:05.035910+00:00')).toBeCloseTo(Date.parse('2025-10-05T14:43:05.035Z') + 0.91, 6);
    expect(parseIsoMs('2025-10-05T14:43:05Z')).toBe(Date.parse('2025-10-05T14:43:05Z'));
    expect(Number.isNaN(parseIsoMs('yesterday'))).toBe(true);
  });

  it('gives clear errors: usage, unknown device, missing file, bad capture line, nothing decoded', async () => {
    expect(await quiet(() => run([]))).toBe(2);
    expect(() => parseDecodeArgs(['--device', 'emotiv', '--in', 'a', '--out', 'b'])).toThrow(/unknown device "emotiv"; known devices: openbci-cyton/);
    expect(() => parseDecodeArgs(['--device', 'openbci-ganglion', '--firmware', '4', '--in', 'a', '--out', 'b'])).toThrow(/--firmware must be 2 or 3/);
    expect(() => decodeCaptureFile(parseDecodeArgs(['--device', 'openbci-cyton', '--in', join(dir, 'nope.bin'), '--out', join(dir, 'x.csv')]))).toThrow(
      /cannot read the capture/,
    );
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, `2026-01-01T00:00:00Z\t${MUSE_CHARACTERISTICS.eeg_tp9}\t0001\nnot a line\n`);
    expect(() => decodeCaptureFile(parseDecodeArgs(['--device', 'muse-2', '--in', bad, '--out', join(dir, 'x.csv')]))).toThrow(/bad\.txt:2: expected "<ISO timestamp>/);
    const text = join(dir, 'text.bin');
    writeFileSync(text, 'this is not a Cyton capture\n'.repeat(10));
    expect(() => decodeCaptureFile(parseDecodeArgs(['--device', 'openbci-cyton', '--in', text, '--out', join(dir, 'x.csv')]))).toThrow(
      /no samples decoded as OpenBCI Cyton \(280 bytes discarded/,
    );
  });
});

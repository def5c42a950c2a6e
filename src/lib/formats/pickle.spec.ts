import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { PickleObject, unpickle, type PickleValue } from './pickle';

// Cases pickled and unpickled by CPython (tests/formats/pickles.py, committed with its output).
interface Case {
  name: string;
  base64: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../../tests/formats/pickles.json', import.meta.url), 'utf8')) as {
  benign: (Case & { protocol: number; expected: unknown })[];
  hostile: (Case & { message: string })[];
};
const bytesOf = (c: Case) => Uint8Array.from(Buffer.from(c.base64, 'base64'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Our result in the generator's JSON vocabulary ($bytes, $object, $int, $float, $set). */
function vocabulary(v: PickleValue, expected: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (v instanceof PickleObject) return { $object: v.pythonClass, hex: hex(v.args[0] as Uint8Array) };
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $float: v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan' };
  const e = expected as Record<string, unknown> | unknown[] | null;
  if (Array.isArray(v)) {
    // Sets arrive as lists in the pickle's order; the generator sorts them.
    if (e && !Array.isArray(e) && '$set' in e) return { $set: [...v].sort((a, b) => Number(a) - Number(b)) };
    return v.map((x, i) => vocabulary(x, Array.isArray(e) ? e[i] : undefined));
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = vocabulary(x, e && !Array.isArray(e) ? e[k] : undefined);
    return out;
  }
  return v;
}

describe('unpickle: what CPython pickles, protocols 0–4', () => {
  it.each(fixture.benign.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(vocabulary(unpickle(bytesOf(c), c.name), c.expected)).toEqual(c.expected);
  });
  it('covers every protocol with the geometry object NeuroPype files hold', () => {
    expect(new Set(fixture.benign.map((c) => c.protocol))).toEqual(new Set([0, 1, 2, 3, 4]));
    const geo = fixture.benign.find((c) => c.name === 'qbytearray_pyqt5 (protocol 2)')!;
    const v = unpickle(bytesOf(geo)) as Record<string, PickleValue>;
    expect(v.savedWidgetGeometry).toBeInstanceOf(PickleObject);
    expect((v.savedWidgetGeometry as PickleObject).pythonClass).toBe('PyQt5.QtCore.QByteArray');
  });
  it('keeps "__proto__" and "constructor" keys as ordinary data', () => {
    // {'__proto__': 1, 'constructor': 2}, protocol 4, hand-written: EMPTY_DICT MARK … SETITEMS STOP
    const key = (s: string) => [0x8c, s.length, ...Buffer.from(s)];
    const bytes = Uint8Array.from([0x80, 4, 0x7d, 0x28, ...key('__proto__'), 0x4b, 1, ...key('constructor'), 0x4b, 2, 0x75, 0x2e]);
    const v = unpickle(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toBe(1);
    expect(v.constructor).toBe(2);
  });
});

describe('unpickle: hostile or broken pickles are refused, never executed', () => {
  it.each(fixture.hostile.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let err: unknown;
    try {
      unpickle(bytesOf(c), 'node 3 settings');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(c.message);
    expect((err as Error).message).toMatch(/^node 3 settings: /);
  });
  it('names a refused global with its module and where it was found', () => {
    const c = fixture.hostile.find((h) => h.name === 'os.system via REDUCE (protocol 4)')!;
    expect(() => unpickle(bytesOf(c), 'a.pyp <properties node_id="2">')).toThrow(
      /^a\.pyp <properties node_id="2">: the pickle refers to posix\.system, which is never loaded here .*\(pickle byte \d+\)$/,
    );
  });
  it('refuses every truncation of a real settings pickle with an InputError (no other exception)', () => {
    for (const name of ['qbytearray_pyqt5 (protocol 4)', 'qbytearray_pyqt4 (protocol 3)', 'containers (protocol 0)', 'scalars (protocol 2)']) {
      const full = bytesOf(fixture.benign.find((c) => c.name === name)!);
      for (let n = 0; n < full.length; n++) expect(() => unpickle(full.subarray(0, n)), `${name} cut at ${n}`).toThrow(InputError);
    }
  });
  it('survives random byte flips: an InputError or a value, never another exception', () => {
    const full = bytesOf(fixture.benign.find((c) => c.name === 'qbytearray_pyqt5 (protocol 3)')!);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 2000; k++) {
      const b = full.slice();
      for (let j = 0; j < 3; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        unpickle(b);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
      }
    }
  });
});

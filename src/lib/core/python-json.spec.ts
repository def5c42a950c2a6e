import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePythonJson } from './python-json';
import { InputError } from './errors';

describe('parsePythonJson', () => {
  it('agrees with JSON.parse on any strict JSON text', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(parsePythonJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });
  it('rejects what JSON.parse rejects (apart from the Python tokens)', () => {
    for (const bad of ['{', '[1,]', '{"a":1,}', "{'a':1}", '01', '1.', '"\t"', 'nul', '{"a" 1}', '[1 2]', '', 'True']) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(() => parsePythonJson(bad)).toThrow(InputError);
    }
  });
  it('accepts the bare NaN, Infinity and -Infinity tokens that Python json.dumps writes', () => {
    // Text as produced by Python: json.dumps({"a": float("nan"), "b": [float("inf"), -float("inf")]})
    const v = parsePythonJson('{"a": NaN, "b": [Infinity, -Infinity]}') as { a: number; b: number[] };
    expect(Number.isNaN(v.a)).toBe(true);
    expect(v.b).toEqual([Infinity, -Infinity]);
  });
  it('says where the problem is', () => {
    expect(() => parsePythonJson('{\n  "a": tru\n}', 'body')).toThrow(/body: .*line 2, column 8/);
  });
  it('caps nesting depth instead of overflowing the stack', () => {
    expect(() => parsePythonJson('['.repeat(100_000))).toThrow(/nesting deeper/);
  });
  it('keeps __proto__ as an ordinary key', () => {
    const v = parsePythonJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

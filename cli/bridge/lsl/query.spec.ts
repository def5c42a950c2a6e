// Stream queries against a peer XPath engine: testing/fixtures/xpath-queries.json holds libxml2's
// answers (Debian's python3-lxml; generator testing/make-query-fixture.py) for LSL-style predicates
// on a liblsl-style stream info. The live tests check the same evaluator against liblsl's pugixml.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml, textElement } from '../../../src/lib/formats/xml-lite';
import { MAX_QUERY_LENGTH, matches, parseQuery, propertyQuery, quote } from './query';

const fixture = JSON.parse(readFileSync(new URL('./testing/fixtures/xpath-queries.json', import.meta.url), 'utf8')) as { document: string; queries: { query: string; matches: boolean }[] };
const doc = parseXml(fixture.document);

describe('LSL queries agree with libxml2 on a stream info', () => {
  it(`evaluates all ${fixture.queries.length} fixture queries as libxml2 does`, () => {
    const disagreements = fixture.queries.filter((q) => matches(parseQuery(q.query), doc) !== q.matches);
    expect(disagreements).toEqual([]);
    // The fixture is not one-sided.
    expect(fixture.queries.filter((q) => q.matches).length).toBeGreaterThan(20);
    expect(fixture.queries.filter((q) => !q.matches).length).toBeGreaterThan(10);
  });

  it('the empty query matches every stream (liblsl)', () => {
    expect(matches(parseQuery('  '), doc)).toBe(true);
  });
});

describe('queries from the network are bounded and errors say what is wrong', () => {
  it.each([
    ["name='x", /unterminated string starting at 5/],
    ['name=', /expression ends too early/],
    ["name='x' and", /expression ends too early/],
    ['eval(name)', /unknown function eval\(\)/],
    ['text()', /the text\(\) node test is not supported/],
    ['following-sibling::x', /the following-sibling axis is not supported/],
    ['name # 1', /unexpected character "#" at 5/],
    ["name='a')", /unexpected "\)"/],
    ['('.repeat(100) + '1' + ')'.repeat(100), /nested deeper than 64/],
    ['count(1)=1', null],
  ])('%s', (q, message) => {
    if (message) expect(() => parseQuery(q)).toThrow(message);
    else expect(() => matches(parseQuery(q), doc)).toThrow('count() needs a node-set');
  });

  it('refuses a query longer than the limit', () => {
    expect(() => parseQuery(`name='${'x'.repeat(MAX_QUERY_LENGTH)}'`)).toThrow(`longer than ${MAX_QUERY_LENGTH} characters`);
  });
});

describe('building queries', () => {
  it("propertyQuery is liblsl's resolve_stream(prop, value) query", () => {
    expect(propertyQuery('default', 'name', 'BioSemi')).toBe("session_id='default' and name='BioSemi'");
    expect(propertyQuery('default')).toBe("session_id='default'");
    expect(matches(parseQuery(propertyQuery('default', 'type', 'EEG')), doc)).toBe(true);
  });

  it('quote makes a literal of any text, quotes included', () => {
    for (const s of ['plain', "O'Brien", 'say "hi"', `both ' and "`]) {
      const info = { tag: 'info', attributes: {}, text: '', children: [textElement('name', s)] };
      expect(matches(parseQuery(`name=${quote(s)}`), info)).toBe(true);
      expect(matches(parseQuery(`name=${quote(s + '!')}`), info)).toBe(false);
    }
  });
});

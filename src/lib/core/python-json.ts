// JSON as Python writes it: strict JSON plus the bare tokens NaN, Infinity and -Infinity that
// `json.dumps` emits by default (NeuroPype request bodies, .pyp patches). Pure; runs anywhere.
// Must not use eval, must not recurse without bound (depth is capped), must not guess on bad input.

import { InputError } from './errors';

/** Deepest nesting accepted; deeper documents are rejected instead of overflowing the stack. */
export const PYTHON_JSON_MAX_DEPTH = 256;

/**
 * Parse `text` as JSON, additionally accepting `NaN`, `Infinity` and `-Infinity` as numbers.
 * Throws InputError naming the line and column of the first problem (prefixed by `where`).
 */
export function parsePythonJson(text: string, where = 'JSON'): unknown {
  const p = new Parser(text, where);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) p.fail('unexpected text after the JSON value');
  return v;
}

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly where: string,
  ) {}

  fail(msg: string): never {
    let line = 1;
    let col = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new InputError(`${msg} at line ${line}, column ${col}`, this.where);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  value(depth: number): unknown {
    if (depth > PYTHON_JSON_MAX_DEPTH) this.fail(`nesting deeper than ${PYTHON_JSON_MAX_DEPTH} levels`);
    const s = this.s;
    if (this.i >= s.length) this.fail('unexpected end of input, expected a value');
    const c = s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === 't') return this.word('true', true);
    if (c === 'f') return this.word('false', false);
    if (c === 'n') return this.word('null', null);
    if (c === 'N') return this.word('NaN', NaN);
    if (c === 'I') return this.word('Infinity', Infinity);
    if (c === '-' && s.startsWith('-Infinity', this.i)) return this.word('-Infinity', -Infinity);
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    this.fail(`unexpected character ${JSON.stringify(c)}, expected a value`);
  }

  word<T>(w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) this.fail(`unexpected token, expected ${w}`);
    this.i += w.length;
    return v;
  }

  number(): number {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) this.fail('malformed number');
    this.i += m[0].length;
    return Number(m[0]);
  }

  string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character inside a string (escape it)');
      if (c === 92) {
        out += s.slice(start, this.i);
        const e = s[this.i + 1];
        this.i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(this.i, this.i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            this.i += 4;
            break;
          }
          default:
            this.i -= 1;
            this.fail('bad escape sequence');
        }
        start = this.i;
      } else this.i++;
    }
  }

  array(depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c === ']') {
        this.i++;
        return out;
      } else this.fail("expected ',' or ']' in array");
    }
  }

  object(depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a double-quoted property name');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':' after property name");
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      // defineProperty so that a "__proto__" key stays an ordinary key, as in JSON.parse.
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c === '}') {
        this.i++;
        return out;
      } else this.fail("expected ',' or '}' in object");
    }
  }
}

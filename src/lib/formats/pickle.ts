// A Python pickle reader that never executes anything: it interprets the opcodes of protocols 0–4
// that build containers, numbers and strings, and resolves a global only from a fixed allow-list of
// pure constructors (the handful that NeuroPype / Orange `.pyp` settings hold, PYP.md §1.5). Every
// other global is refused with an error naming it and its byte offset. Pure; runs anywhere.
// Must never call into anything named by the pickle, never allocate from a length the bytes cannot
// hold, and never recurse without bound (the result's depth and expanded size are capped).
//
// Allow-list (module.name → what it builds; anything else, and any other use of these, is refused):
//   sip._unpickle_type (also PyQt5.sip._unpickle_type, the module's name in PyQt5 ≥ 5.11) with
//       ('PyQt4.QtCore' | 'PyQt5.QtCore', 'QByteArray', (bytes,)) → PickleObject QByteArray. It is
//       the only non-builtin object in the 656 pickles of the .pyp corpus (window geometry).
//   builtins.set / builtins.frozenset ((list,) or ()) → a set: protocols 2–3 write sets this way
//       (protocol 4 has opcodes for them).
//   _codecs.encode (str, 'latin1') → bytes: how protocol 2 writes a Python 3 `bytes` object (so a
//       protocol-2 QByteArray needs it).
// Python 2 names (`__builtin__`, `copy_reg`) are mapped as Python 3's unpickler does. Not allowed:
// copyreg._reconstructor, NEWOBJ/OBJ/INST, BUILD — they instantiate or mutate a class, and no
// allowed class needs them; persistent ids and the extension registry; protocol 5 out-of-band buffers.
//
// Result: None → null, bool, int → number (bigint beyond ±2^53), float → number, str → string,
// bytes/bytearray → Uint8Array, list and tuple → arrays, set/frozenset → arrays, dict → a plain
// object (own properties; keys str, or int/float/bool/None spelled with String()), allowed objects
// → PickleObject. A structure that contains itself is refused.
import { InputError } from '../core/errors';
import { latin1 } from './bytes';

/** An object the allow-list built (only QByteArray today): its Python class and constructor arguments. */
export class PickleObject {
  constructor(
    /** `module.name` of the Python class, e.g. "PyQt5.QtCore.QByteArray". */
    readonly pythonClass: string,
    readonly args: PickleValue[],
  ) {}
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleObject | PickleValue[] | { [key: string]: PickleValue };

export interface UnpickleOptions {
  /** Deepest container nesting accepted in the result (default 100). */
  maxDepth?: number;
  /** Most values the result may expand to, counting shared references each time (default 1,000,000). */
  maxValues?: number;
}

/** Largest integer accepted (bytes of LONG1/LONG4, digits of INT/LONG): settings never hold more. */
const MAX_INT_BYTES = 64;

// Intermediate values while interpreting: Python's identity semantics (memo, shared lists) need
// mutable containers distinct from the final plain result.
class PyTuple {
  constructor(readonly items: Interim[]) {}
}
class PyDict {
  readonly entries: [Interim, Interim][] = [];
}
class PySet {
  readonly items: Interim[] = [];
}
class PyGlobal {
  constructor(
    readonly qualified: string,
    readonly offset: number,
  ) {}
}
const MARK = Symbol('mark');
type Interim = null | boolean | number | bigint | string | Uint8Array | PickleObject | Interim[] | PyTuple | PyDict | PySet | PyGlobal;

const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };
const ALLOWED_GLOBALS = new Set(['sip._unpickle_type', 'PyQt5.sip._unpickle_type', 'builtins.set', 'builtins.frozenset', '_codecs.encode']);
const QT_CORE_MODULES = new Set(['PyQt4.QtCore', 'PyQt5.QtCore']);
const ALLOWED_TEXT = 'sip._unpickle_type (QByteArray), builtins.set, builtins.frozenset, _codecs.encode';

// ISO-8859-1 through bytes.ts (TextDecoder's 'latin1' is windows-1252, which remaps 0x80–0x9f).
const latin1Text = (b: Uint8Array) => latin1(b, 0, b.length);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Read one pickle (protocols 0–4) into plain values. `where` names the source in errors (file,
 * node). Throws InputError on any opcode, global or structure outside what is described above.
 */
export function unpickle(bytes: Uint8Array, where = 'pickle', options: UnpickleOptions = {}): PickleValue {
  const result = new Interpreter(bytes, where).run();
  return toPlain(result, where, options.maxDepth ?? 100, options.maxValues ?? 1_000_000);
}

class Interpreter {
  private pos = 0;
  private stack: (Interim | typeof MARK)[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, Interim>();
  private readonly view: DataView;
  private opOffset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(msg: string): never {
    throw new InputError(`${msg} (pickle byte ${this.opOffset})`, this.where);
  }

  private need(n: number, what: string): void {
    if (!(n >= 0) || n > this.bytes.length - this.pos)
      this.fail(`${what} needs ${n} bytes but only ${this.bytes.length - this.pos} remain (truncated or corrupt pickle)`);
  }
  private u8(): number {
    this.need(1, 'the opcode argument');
    return this.bytes[this.pos++];
  }
  private u16(): number {
    this.need(2, 'the opcode argument');
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4, 'the opcode argument');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private i32(): number {
    this.need(4, 'the opcode argument');
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u64(): number {
    this.need(8, 'the opcode argument');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    // Lengths beyond 2^53 cannot be satisfied by any byte array; keep them as a huge number.
    return hi * 2 ** 32 + lo;
  }
  private take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail(`${what} has no end of line (truncated pickle)`);
    const s = latin1Text(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  private utf8(b: Uint8Array): string {
    try {
      return utf8Decoder.decode(b);
    } catch {
      return this.fail('a str holds invalid UTF-8');
    }
  }

  private push(v: Interim): void {
    this.stack.push(v);
  }
  private pop(): Interim {
    if (this.stack.length === 0 || this.stack[this.stack.length - 1] === MARK) this.fail('the stack is empty (corrupt pickle)');
    return this.stack.pop() as Interim;
  }
  private top(): Interim {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) this.fail('the stack is empty (corrupt pickle)');
    return v as Interim;
  }
  private popMark(): Interim[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK to pop to (corrupt pickle)');
    const items = this.stack.splice(m! + 1) as Interim[];
    this.stack.pop(); // the MARK itself
    return items;
  }
  private mark(): void {
    this.marks.push(this.stack.length);
    this.stack.push(MARK);
  }

  private memoGet(k: number): Interim {
    if (!this.memo.has(k)) this.fail(`memo entry ${k} is not defined`);
    return this.memo.get(k)!;
  }
  private memoPut(k: number): void {
    this.memo.set(k, this.top());
  }

  private bigFromBytes(b: Uint8Array): number | bigint {
    if (b.length === 0) return 0;
    if (b.length > MAX_INT_BYTES) this.fail(`an integer of ${b.length} bytes is larger than any setting (limit ${MAX_INT_BYTES})`);
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
    let v = BigInt('0x' + hex);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return narrow(v);
  }
  private intText(s: string): number | bigint {
    const t = s.trim().replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(t) || t.length > MAX_INT_BYTES * 3) this.fail(`bad integer ${JSON.stringify(s.slice(0, 40))}`);
    return narrow(BigInt(t));
  }

  private appendTo(list: Interim, items: Interim[]): void {
    if (Array.isArray(list)) pushAll(list, items);
    else if (list instanceof PySet) pushAll(list.items, items);
    else this.fail('APPEND to something that is not a list');
  }
  private setItems(dict: Interim, items: Interim[]): void {
    if (!(dict instanceof PyDict)) this.fail('SETITEM on something that is not a dict');
    if (items.length % 2) this.fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).entries.push([items[i], items[i + 1]]);
  }

  private global(module: string, name: string): PyGlobal {
    const m = PY2_MODULES[module] ?? module;
    const q = `${m}.${name}`;
    if (!ALLOWED_GLOBALS.has(q))
      this.fail(`the pickle refers to ${q}, which is never loaded here (only ${ALLOWED_TEXT} are understood); the file may be hostile or not a NeuroPype settings pickle`);
    return new PyGlobal(q, this.opOffset);
  }

  private reduce(fn: Interim, args: Interim): Interim {
    if (!(fn instanceof PyGlobal)) this.fail('REDUCE of something that is not an allowed global');
    if (!(args instanceof PyTuple)) this.fail(`${(fn as PyGlobal).qualified} called without an argument tuple`);
    const g = fn as PyGlobal;
    const a = (args as PyTuple).items;
    switch (g.qualified) {
      case 'sip._unpickle_type':
      case 'PyQt5.sip._unpickle_type': {
        const [mod, cls, inner] = a;
        const ok = a.length === 3 && typeof mod === 'string' && QT_CORE_MODULES.has(mod) && cls === 'QByteArray' && inner instanceof PyTuple && inner.items.length === 1 && inner.items[0] instanceof Uint8Array;
        if (!ok) {
          const what = typeof mod === 'string' && typeof cls === 'string' ? `${mod}.${cls}` : 'an unknown type';
          this.fail(`${g.qualified} of ${what} is not understood (only PyQt4/PyQt5 QtCore.QByteArray from bytes)`);
        }
        return new PickleObject(`${mod as string}.QByteArray`, [(inner as PyTuple).items[0] as Uint8Array]);
      }
      case 'builtins.set':
      case 'builtins.frozenset': {
        const s = new PySet();
        if (a.length === 1 && Array.isArray(a[0])) pushAll(s.items, a[0] as Interim[]);
        else if (a.length === 1 && a[0] instanceof PyTuple) pushAll(s.items, (a[0] as PyTuple).items);
        else if (a.length !== 0) this.fail(`${g.qualified} expects one list`);
        return s;
      }
      case '_codecs.encode': {
        const [text, enc] = a;
        if (a.length !== 2 || typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) this.fail("_codecs.encode is understood only as (str, 'latin1')");
        const b = new Uint8Array((text as string).length);
        for (let i = 0; i < b.length; i++) {
          const c = (text as string).charCodeAt(i);
          if (c > 0xff) this.fail('_codecs.encode: a character beyond Latin-1');
          b[i] = c;
        }
        return b;
      }
    }
    return this.fail(`${g.qualified} cannot be called`);
  }

  run(): Interim {
    const b = this.bytes;
    for (;;) {
      this.opOffset = this.pos;
      if (this.pos >= b.length) this.fail('the pickle ends before its STOP opcode (truncated)');
      const op = b[this.pos++];
      switch (op) {
        case 0x80: {
          // PROTO
          const p = this.u8();
          if (p > 4) this.fail(`pickle protocol ${p} is not supported (protocols 0–4 are)`);
          break;
        }
        case 0x95: // FRAME: a length hint; the bytes follow inline
          this.u64();
          break;
        case 0x2e: {
          // STOP
          const v = this.pop();
          if (this.stack.length !== 0) this.fail('values left on the stack at STOP (corrupt pickle)');
          return v;
        }
        // --- constants and numbers
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x8a: // LONG1
          this.push(this.bigFromBytes(this.take(this.u8(), 'LONG1')));
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          if (n < 0) this.fail('LONG4 with a negative length');
          this.push(this.bigFromBytes(this.take(n, 'LONG4')));
          break;
        }
        case 0x49: {
          // INT (text); protocol 0 spells booleans I01 / I00
          const s = this.line('INT');
          this.push(s === '01' ? true : s === '00' ? false : this.intText(s));
          break;
        }
        case 0x4c: // LONG (text)
          this.push(this.intText(this.line('LONG')));
          break;
        case 0x47: {
          // BINFLOAT (big-endian)
          this.need(8, 'BINFLOAT');
          this.push(this.view.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        }
        case 0x46: {
          // FLOAT (text)
          const s = this.line('FLOAT').trim();
          const v = /^[-+]?(inf|nan)$/i.test(s) ? (s.toLowerCase().includes('nan') ? NaN : s.startsWith('-') ? -Infinity : Infinity) : Number(s);
          if (s === '' || (Number.isNaN(v) && !/nan/i.test(s))) this.fail(`bad float ${JSON.stringify(s.slice(0, 40))}`);
          this.push(v);
          break;
        }
        // --- strings and bytes
        case 0x58: // BINUNICODE
          this.push(this.utf8(this.take(this.u32(), 'BINUNICODE')));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.take(this.u8(), 'SHORT_BINUNICODE')));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.take(this.u64(), 'BINUNICODE8')));
          break;
        case 0x56: // UNICODE (text, raw-unicode-escape)
          this.push(rawUnicodeEscape(this.line('UNICODE')));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.u32(), 'BINBYTES').slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8(), 'SHORT_BINBYTES').slice());
          break;
        case 0x8e: // BINBYTES8
          this.push(this.take(this.u64(), 'BINBYTES8').slice());
          break;
        case 0x96: // BYTEARRAY8 (protocol 5; harmless)
          this.push(this.take(this.u64(), 'BYTEARRAY8').slice());
          break;
        // Python 2 str: decoded as Latin-1 (Python 3 reads them as ASCII by default; Latin-1 is a superset).
        case 0x54: {
          // BINSTRING
          const n = this.i32();
          if (n < 0) this.fail('BINSTRING with a negative length');
          this.push(latin1Text(this.take(n, 'BINSTRING')));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(latin1Text(this.take(this.u8(), 'SHORT_BINSTRING')));
          break;
        case 0x53: // STRING (text, a quoted Python 2 repr)
          this.push(this.py2StringRepr(this.line('STRING')));
          break;
        // --- containers
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict());
          break;
        case 0x8f: // EMPTY_SET
          this.push(new PySet());
          break;
        case 0x28: // MARK
          this.mark();
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x85: // TUPLE1
          this.push(new PyTuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const y = this.pop();
          const x = this.pop();
          this.push(new PyTuple([x, y]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const z = this.pop();
          const y = this.pop();
          const x = this.pop();
          this.push(new PyTuple([x, y, z]));
          break;
        }
        case 0x64: {
          // DICT
          const d = new PyDict();
          this.setItems(d, this.popMark());
          this.push(d);
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.appendTo(this.top(), [v]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.appendTo(this.top(), items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet)) this.fail('ADDITEMS to something that is not a set');
          pushAll((s as PySet).items, items);
          break;
        }
        case 0x91: {
          // FROZENSET
          const s = new PySet();
          pushAll(s.items, this.popMark());
          this.push(s);
          break;
        }
        case 0x30: // POP
          if (this.stack[this.stack.length - 1] === MARK) this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        // --- memo
        case 0x70: {
          // PUT (text)
          const k = this.intText(this.line('PUT'));
          this.memoPut(Number(k));
          break;
        }
        case 0x71: // BINPUT
          this.memoPut(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;
        case 0x67: // GET (text)
          this.push(this.memoGet(Number(this.intText(this.line('GET')))));
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.u32()));
          break;
        // --- globals and calls (allow-list only)
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.line('GLOBAL module');
          const name = this.line('GLOBAL name');
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs a module and a name string');
          this.push(this.global(module as string, name as string));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.push(this.reduce(fn, args));
          break;
        }
        case 0x81: // NEWOBJ
        case 0x92: // NEWOBJ_EX
        case 0x6f: // OBJ
        case 0x69: // INST
          this.fail(`opcode ${opName(op)} creates an instance of a class, which is never done here`);
          break;
        case 0x62: // BUILD
          this.fail("opcode BUILD sets an object's state, which is never done here");
          break;
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          this.fail('persistent ids (PERSID) refer to objects outside the pickle and are not supported');
          break;
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          this.fail("the extension registry (EXT1/2/4) names globals indirectly and is not supported");
          break;
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.fail('out-of-band buffers (protocol 5) are not supported');
          break;
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or a newer protocol)`);
      }
    }
  }

  private py2StringRepr(s: string): string {
    const t = s.trimEnd();
    const q = t[0];
    if ((q !== "'" && q !== '"') || t.length < 2 || t[t.length - 1] !== q) this.fail('STRING argument is not a quoted string');
    return t.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
      if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
      if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' };
      return simple[e] ?? '\\' + e;
    });
  }
}

/** push(...items) without spreading (a long MARK group would exceed the argument limit). */
function pushAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const code = parseInt((u4 ?? u8)!, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

const OPCODE_NAMES: Record<number, string> = { 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x6f: 'OBJ', 0x69: 'INST' };
const opName = (op: number) => OPCODE_NAMES[op] ?? `0x${op.toString(16)}`;

function dictKey(k: Interim, fail: (msg: string) => never): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean' || k === null) return String(k);
  return fail('a dict key that is not a str, number, bool or None');
}

/** The plain result, refusing cycles and structures deeper or (with shared references expanded) larger than allowed. */
function toPlain(root: Interim, where: string, maxDepth: number, maxValues: number): PickleValue {
  let count = 0;
  const open = new Set<object>();
  const fail = (msg: string): never => {
    throw new InputError(msg, where);
  };
  const conv = (v: Interim, depth: number): PickleValue => {
    if (++count > maxValues) fail(`the pickle expands to more than ${maxValues} values (shared references repeated); refused`);
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v as PickleValue;
    if (v instanceof PyGlobal) return fail(`${v.qualified} appears as a value, not called (pickle byte ${v.offset})`);
    if (depth >= maxDepth) fail(`the pickle nests containers deeper than ${maxDepth}`);
    if (open.has(v)) fail('the pickle holds a container that contains itself');
    open.add(v);
    let out: PickleValue;
    if (v instanceof PickleObject) out = new PickleObject(v.pythonClass, v.args.map((a) => conv(a as Interim, depth + 1)));
    else if (Array.isArray(v)) out = v.map((x) => conv(x, depth + 1));
    else if (v instanceof PyTuple || v instanceof PySet) out = v.items.map((x) => conv(x, depth + 1));
    else {
      const o: { [key: string]: PickleValue } = {};
      for (const [k, x] of v.entries) Object.defineProperty(o, dictKey(k, fail), { value: conv(x, depth + 1), enumerable: true, writable: true, configurable: true });
      out = o;
    }
    open.delete(v);
    return out;
  };
  return conv(root, 0);
}

// LSL stream queries: the XPath 1.0 predicates liblsl evaluates against a stream's <info> document
// (pugixml's xpath_query(...).evaluate_boolean(info)), e.g. `session_id='default' and name='EEG'`,
// `type='EEG' and starts-with(name,'Bio')`, `count(desc/channels/channel)>=8`. Pure; runs anywhere.
// Queries arrive from the network: parsing is bounded (length, nesting) and never executes anything.
//
// Supported: location paths (child, attribute `@x`, `.`, `..`, `*`, `//`, `axis::` for child,
// attribute, self, parent, descendant, descendant-or-self), predicates `[expr]` and `[n]`, unions
// `|`, `or and = != < <= > >= + - * div mod`, unary minus, literals, numbers, and the functions
// not, true, false, boolean, number, string, count, sum, contains, starts-with, string-length,
// normalize-space, concat, substring, substring-before, substring-after, translate, floor,
// ceiling, round, name, local-name, position, last. Not supported: other axes, variables,
// namespaces, processing-instruction()/comment()/text() node tests (node() is).
import { InputError } from '../../../src/lib/core/errors';
import type { XmlElement } from '../../../src/lib/formats/xml-lite';

/** Longest query we evaluate (a UDP datagram can carry 64 KiB). */
export const MAX_QUERY_LENGTH = 16 * 1024;
const MAX_NESTING = 64;

type NodeSet = XmlNode[];
type Value = NodeSet | string | number | boolean;

/** An element, the document root, or an attribute (tag '@name', text = its value). */
interface XmlNode extends XmlElement {
  attribute?: true;
}

type Expr =
  | { k: 'lit'; v: string | number }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'neg'; a: Expr }
  | { k: 'fn'; name: string; args: Expr[] }
  | { k: 'path'; absolute: boolean; steps: Step[]; start?: Expr; startPredicates?: Expr[] };

interface Step {
  axis: 'child' | 'attribute' | 'self' | 'parent' | 'descendant' | 'descendant-or-self';
  /** '*' any, 'node()' any node, or a name. */
  test: string;
  predicates: Expr[];
}

interface Token {
  t: 'name' | 'lit' | 'num' | 'op';
  v: string;
}

function fail(query: string, why: string): never {
  throw new InputError(`not a valid LSL query (an XPath 1.0 predicate): ${why}`, `query ${JSON.stringify(query.length > 200 ? query.slice(0, 200) + '…' : query)}`);
}

const OPERATOR_NAMES = new Set(['and', 'or', 'div', 'mod']);
/** Tokens after which `*` is a name test and and/or/div/mod are names (XPath 1.0 §3.7). */
const NO_OPERATOR_AFTER = new Set(['@', '::', '(', '[', ',', 'and', 'or', 'div', 'mod', '*', '/', '//', '|', '+', '-', '=', '!=', '<', '<=', '>', '>=']);

/** Tokens: an operator `*` or and/or/div/mod comes as {t:'op'}, a name-test `*` as {t:'name', v:'*'}. */
function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const nameRe = /[A-Za-z_][\w.\-]*(?::(?!:)[A-Za-z_][\w.\-]*)?/y;
  const numRe = /\d+(\.\d*)?|\.\d+/y;
  const operatorMayFollow = () => {
    const prev = out[out.length - 1];
    return prev !== undefined && !(prev.t === 'op' && NO_OPERATOR_AFTER.has(prev.v));
  };
  while (i < q.length) {
    const c = q[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = q.indexOf(c, i + 1);
      if (end < 0) fail(q, `unterminated string starting at ${i}`);
      out.push({ t: 'lit', v: q.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    numRe.lastIndex = i;
    const num = numRe.exec(q);
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    nameRe.lastIndex = i;
    const name = nameRe.exec(q);
    if (name) {
      const v = name[0];
      out.push({ t: OPERATOR_NAMES.has(v) && operatorMayFollow() ? 'op' : 'name', v });
      i += v.length;
      continue;
    }
    const two = q.slice(i, i + 2);
    if (['!=', '<=', '>=', '//', '..', '::'].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '*') {
      out.push({ t: operatorMayFollow() ? 'op' : 'name', v: '*' });
      i++;
      continue;
    }
    if ('=<>()[]/@,|.+-'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    fail(q, `unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  return out;
}

const AXES = new Set(['child', 'attribute', 'self', 'parent', 'descendant', 'descendant-or-self']);

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly q: string,
    private readonly toks: Token[],
  ) {}

  private peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  private isOp(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === 'op' && t.v === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) fail(this.q, `expected "${v}" ${this.where()}`);
    this.i++;
  }
  private where(): string {
    const t = this.peek();
    return t ? `before "${t.v}"` : 'at the end';
  }
  private nest<T>(f: () => T): T {
    if (++this.depth > MAX_NESTING) fail(this.q, `nested deeper than ${MAX_NESTING}`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  parse(): Expr {
    if (this.toks.length === 0) fail(this.q, 'empty');
    const e = this.or();
    if (this.i < this.toks.length) fail(this.q, `unexpected "${this.peek()!.v}"`);
    return e;
  }

  private binary(next: () => Expr, ops: string[]): Expr {
    let a = next();
    for (let t = this.peek(); t?.t === 'op' && ops.includes(t.v); t = this.peek()) {
      this.i++;
      a = { k: 'bin', op: t.v, a, b: next() };
    }
    return a;
  }
  private or = (): Expr => this.binary(this.and, ['or']);
  private and = (): Expr => this.binary(this.equality, ['and']);
  private equality = (): Expr => this.binary(this.relational, ['=', '!=']);
  private relational = (): Expr => this.binary(this.additive, ['<', '<=', '>', '>=']);
  private additive = (): Expr => this.binary(this.multiplicative, ['+', '-']);
  private multiplicative = (): Expr => this.binary(this.unary, ['*', 'div', 'mod']);
  private unary = (): Expr => {
    if (this.isOp('-')) {
      this.i++;
      return this.nest(() => ({ k: 'neg', a: this.unary() }));
    }
    return this.binary(this.pathExpr, ['|']);
  };

  private pathExpr = (): Expr => {
    const t = this.peek();
    if (!t) fail(this.q, 'expression ends too early');
    // Filter expression: a primary, its predicates, then an optional relative path.
    const isFunction = t.t === 'name' && this.isOp('(', 1) && !['node', 'text', 'comment', 'processing-instruction'].includes(t.v);
    if (t.t === 'lit' || t.t === 'num' || isFunction || (t.t === 'op' && t.v === '(')) {
      const start = this.primary();
      const startPredicates = this.predicates();
      if (this.isOp('/') || this.isOp('//')) return { k: 'path', absolute: false, start, startPredicates, steps: this.relativePath(true) };
      if (startPredicates.length === 0) return start;
      return { k: 'path', absolute: false, start, startPredicates, steps: [] };
    }
    if (this.isOp('/')) {
      this.i++;
      const next = this.peek();
      const startsStep = next && (next.t === 'name' || (next.t === 'op' && ['@', '.', '..'].includes(next.v)));
      return { k: 'path', absolute: true, steps: startsStep ? this.relativePath(false) : [] };
    }
    if (this.isOp('//')) return { k: 'path', absolute: true, steps: this.relativePath(true) };
    return { k: 'path', absolute: false, steps: this.relativePath(false) };
  };

  private primary(): Expr {
    const t = this.peek()!;
    if (t.t === 'lit') {
      this.i++;
      return { k: 'lit', v: t.v };
    }
    if (t.t === 'num') {
      this.i++;
      return { k: 'lit', v: Number(t.v) };
    }
    if (t.t === 'op' && t.v === '(') {
      this.i++;
      const e = this.nest(() => this.or());
      this.expectOp(')');
      return e;
    }
    this.i += 2; // name (
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.nest(() => this.or()));
        if (this.isOp(',')) this.i++;
        else break;
      }
    }
    this.expectOp(')');
    if (!(t.v in FUNCTIONS)) fail(this.q, `unknown function ${t.v}()`);
    return { k: 'fn', name: t.v, args };
  }

  /** Steps separated by / or //; `leadingSeparator` when a separator comes first. */
  private relativePath(leadingSeparator: boolean): Step[] {
    const steps: Step[] = [];
    let first = !leadingSeparator;
    for (;;) {
      if (!first) {
        if (this.isOp('//')) steps.push({ axis: 'descendant-or-self', test: 'node()', predicates: [] });
        else if (!this.isOp('/')) return steps;
        this.i++;
      }
      first = false;
      steps.push(this.step());
    }
  }

  private step(): Step {
    if (this.isOp('.')) {
      this.i++;
      return { axis: 'self', test: 'node()', predicates: [] };
    }
    if (this.isOp('..')) {
      this.i++;
      return { axis: 'parent', test: 'node()', predicates: [] };
    }
    let axis: Step['axis'] = 'child';
    if (this.isOp('@')) {
      this.i++;
      axis = 'attribute';
    } else if (this.peek()?.t === 'name' && this.isOp('::', 1)) {
      const a = this.peek()!.v;
      if (!AXES.has(a)) fail(this.q, `the ${a} axis is not supported`);
      axis = a as Step['axis'];
      this.i += 2;
    }
    const t = this.peek();
    if (t?.t !== 'name') fail(this.q, `expected a name ${this.where()}`);
    this.i++;
    let test = t.v;
    if (this.isOp('(')) {
      if (t.v !== 'node') fail(this.q, `the ${t.v}() node test is not supported`);
      this.i++;
      this.expectOp(')');
      test = 'node()';
    }
    return { axis, test, predicates: this.predicates() };
  }

  private predicates(): Expr[] {
    const out: Expr[] = [];
    while (this.isOp('[')) {
      this.i++;
      out.push(this.nest(() => this.or()));
      this.expectOp(']');
    }
    return out;
  }
}

// ── evaluation ──

interface Context {
  node: XmlNode;
  position: number;
  size: number;
  root: XmlNode;
  parents: () => Map<XmlNode, XmlNode>;
}

function stringValue(n: XmlNode): string {
  if (n.attribute || n.children.length === 0) return n.text;
  return n.text + n.children.map(stringValue).join('');
}

function toStr(v: Value): string {
  if (Array.isArray(v)) return v.length ? stringValue(v[0]) : '';
  if (typeof v === 'number') return String(v);
  return typeof v === 'boolean' ? String(v) : v;
}

function toNum(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = toStr(v);
  return /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(s) ? parseFloat(s) : NaN;
}

function toBool(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  return v;
}

function attributeNodes(n: XmlNode): XmlNode[] {
  return Object.entries(n.attributes).map(([k, v]) => ({ tag: k, attributes: {}, children: [], text: v, attribute: true }));
}

function descendants(n: XmlNode, out: XmlNode[]): void {
  for (const c of n.children) {
    out.push(c);
    descendants(c, out);
  }
}

function axisNodes(n: XmlNode, axis: Step['axis'], ctx: Context): XmlNode[] {
  switch (axis) {
    case 'child':
      return n.children;
    case 'attribute':
      return attributeNodes(n);
    case 'self':
      return [n];
    case 'parent': {
      const p = ctx.parents().get(n);
      return p ? [p] : [];
    }
    case 'descendant': {
      const out: XmlNode[] = [];
      descendants(n, out);
      return out;
    }
    case 'descendant-or-self': {
      const out: XmlNode[] = [n];
      descendants(n, out);
      return out;
    }
  }
}

function matchesTest(n: XmlNode, test: string, axis: Step['axis']): boolean {
  if (test === 'node()') return true;
  if (n.tag === '#document') return false;
  if (test === '*') return axis === 'attribute' ? !!n.attribute : !n.attribute;
  return n.tag === test;
}

function filter(nodes: XmlNode[], predicates: Expr[], ctx: Context): XmlNode[] {
  let cur = nodes;
  for (const p of predicates) {
    const size = cur.length;
    cur = cur.filter((node, i) => {
      const v = evaluate(p, { ...ctx, node, position: i + 1, size });
      return typeof v === 'number' ? v === i + 1 : toBool(v);
    });
  }
  return cur;
}

function unique(nodes: XmlNode[]): XmlNode[] {
  return nodes.length < 2 ? nodes : [...new Set(nodes)];
}

function compare(op: string, a: Value, b: Value): boolean {
  const aSet = Array.isArray(a);
  const bSet = Array.isArray(b);
  const relational = op !== '=' && op !== '!=';
  const prim = (x: string | number | boolean, y: string | number | boolean): boolean => {
    if (relational) {
      const [p, q] = [toNum(x), toNum(y)];
      return op === '<' ? p < q : op === '<=' ? p <= q : op === '>' ? p > q : p >= q;
    }
    let eq: boolean;
    if (typeof x === 'boolean' || typeof y === 'boolean') eq = toBool(x) === toBool(y);
    else if (typeof x === 'number' || typeof y === 'number') eq = toNum(x) === toNum(y);
    else eq = x === y;
    return op === '=' ? eq : !eq;
  };
  if (aSet && bSet) return (a as NodeSet).some((x) => (b as NodeSet).some((y) => prim(relational ? toNum(stringValue(x)) : stringValue(x), relational ? toNum(stringValue(y)) : stringValue(y))));
  if (aSet || bSet) {
    const [set, other, flipped] = aSet ? [a as NodeSet, b, false] : [b as NodeSet, a, true];
    if (typeof other === 'boolean') return flipped ? prim(other, toBool(set)) : prim(toBool(set), other);
    return set.some((n) => {
      const s: string | number = typeof other === 'number' ? toNum(stringValue(n)) : stringValue(n);
      return flipped ? prim(other as string | number, s) : prim(s, other as string | number);
    });
  }
  return prim(a as string | number | boolean, b as string | number | boolean);
}

function evaluate(e: Expr, ctx: Context): Value {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'neg':
      return -toNum(evaluate(e.a, ctx));
    case 'fn':
      return FUNCTIONS[e.name](e.args.map((a) => () => evaluate(a, ctx)), ctx);
    case 'bin': {
      if (e.op === 'or') return toBool(evaluate(e.a, ctx)) || toBool(evaluate(e.b, ctx));
      if (e.op === 'and') return toBool(evaluate(e.a, ctx)) && toBool(evaluate(e.b, ctx));
      const a = evaluate(e.a, ctx);
      const b = evaluate(e.b, ctx);
      if (e.op === '|') {
        if (!Array.isArray(a) || !Array.isArray(b)) throw new InputError('"|" joins node-sets only');
        return unique([...a, ...b]);
      }
      if (['=', '!=', '<', '<=', '>', '>='].includes(e.op)) return compare(e.op, a, b);
      const [x, y] = [toNum(a), toNum(b)];
      return e.op === '+' ? x + y : e.op === '-' ? x - y : e.op === '*' ? x * y : e.op === 'div' ? x / y : x % y;
    }
    case 'path': {
      let nodes: XmlNode[];
      if (e.start) {
        const v = evaluate(e.start, ctx);
        if (!Array.isArray(v)) {
          if (e.steps.length || e.startPredicates?.length) throw new InputError('a path or predicate follows something that is not a node-set');
          return v;
        }
        nodes = filter(v, e.startPredicates ?? [], ctx);
      } else nodes = [e.absolute ? ctx.root : ctx.node];
      for (const s of e.steps) {
        const next: XmlNode[] = [];
        for (const n of nodes) next.push(...filter(axisNodes(n, s.axis, ctx).filter((c) => matchesTest(c, s.test, s.axis)), s.predicates, ctx));
        nodes = unique(next);
      }
      return nodes;
    }
  }
}

type Fn = (args: (() => Value)[], ctx: Context) => Value;

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) throw new InputError(`${name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`);
}

/** The string argument, or the context node's string-value when there is none. */
const str = (args: (() => Value)[], ctx: Context): string => (args[0] ? toStr(args[0]()) : stringValue(ctx.node));

const FUNCTIONS: Record<string, Fn> = {
  not: (a) => (arity('not', a, 1), !toBool(a[0]())),
  true: (a) => (arity('true', a, 0), true),
  false: (a) => (arity('false', a, 0), false),
  boolean: (a) => (arity('boolean', a, 1), toBool(a[0]())),
  number: (a, c) => (arity('number', a, 0, 1), a.length ? toNum(a[0]()) : toNum(stringValue(c.node))),
  string: (a, c) => (arity('string', a, 0, 1), str(a, c)),
  count: (a) => {
    arity('count', a, 1);
    const v = a[0]();
    if (!Array.isArray(v)) throw new InputError('count() needs a node-set');
    return v.length;
  },
  sum: (a) => {
    arity('sum', a, 1);
    const v = a[0]();
    if (!Array.isArray(v)) throw new InputError('sum() needs a node-set');
    return v.reduce((s, n) => s + toNum(stringValue(n)), 0);
  },
  contains: (a) => (arity('contains', a, 2), toStr(a[0]()).includes(toStr(a[1]()))),
  'starts-with': (a) => (arity('starts-with', a, 2), toStr(a[0]()).startsWith(toStr(a[1]()))),
  'string-length': (a, c) => (arity('string-length', a, 0, 1), [...str(a, c)].length),
  'normalize-space': (a, c) => (arity('normalize-space', a, 0, 1), str(a, c).trim().replace(/\s+/g, ' ')),
  concat: (a) => {
    if (a.length < 2) throw new InputError(`concat() takes at least 2 arguments, got ${a.length}`);
    return a.map((x) => toStr(x())).join('');
  },
  substring: (a) => {
    arity('substring', a, 2, 3);
    const s = [...toStr(a[0]())];
    const start = Math.round(toNum(a[1]()));
    const end = a.length > 2 ? start + Math.round(toNum(a[2]())) : Infinity;
    return s.filter((_, i) => i + 1 >= start && i + 1 < end).join('');
  },
  'substring-before': (a) => {
    arity('substring-before', a, 2);
    const [s, t] = [toStr(a[0]()), toStr(a[1]())];
    const i = s.indexOf(t);
    return i < 0 ? '' : s.slice(0, i);
  },
  'substring-after': (a) => {
    arity('substring-after', a, 2);
    const [s, t] = [toStr(a[0]()), toStr(a[1]())];
    const i = s.indexOf(t);
    return i < 0 ? '' : s.slice(i + t.length);
  },
  translate: (a) => {
    arity('translate', a, 3);
    const [s, from, to] = [toStr(a[0]()), [...toStr(a[1]())], [...toStr(a[2]())]];
    return [...s].map((ch) => {
      const i = from.indexOf(ch);
      return i < 0 ? ch : (to[i] ?? '');
    }).join('');
  },
  floor: (a) => (arity('floor', a, 1), Math.floor(toNum(a[0]()))),
  ceiling: (a) => (arity('ceiling', a, 1), Math.ceil(toNum(a[0]()))),
  round: (a) => (arity('round', a, 1), Math.round(toNum(a[0]()))),
  name: (a, c) => {
    arity('name', a, 0, 1);
    const v = a.length ? a[0]() : [c.node];
    return Array.isArray(v) && v.length && v[0].tag !== '#document' ? v[0].tag : '';
  },
  'local-name': (a, c) => {
    const n = FUNCTIONS.name(a, c) as string;
    return n.slice(n.indexOf(':') + 1);
  },
  position: (a, c) => (arity('position', a, 0), c.position),
  last: (a, c) => (arity('last', a, 0), c.size),
};

/** A parsed query; evaluate it with `matches`. */
export interface LslQuery {
  readonly text: string;
  readonly expr: Expr | null;
}

/** Parses a query (throws InputError saying what is wrong). The empty query matches every stream. */
export function parseQuery(query: string): LslQuery {
  const text = query.trim();
  if (text.length > MAX_QUERY_LENGTH) fail(text, `longer than ${MAX_QUERY_LENGTH} characters`);
  if (text === '') return { text, expr: null };
  return { text, expr: new Parser(text, tokenize(text)).parse() };
}

/** True when the query's boolean value on `info` (the <info> element) is true. Throws InputError on a type error. */
export function matches(q: LslQuery, info: XmlElement): boolean {
  if (!q.expr) return true;
  const root: XmlNode = { tag: '#document', attributes: {}, children: [info], text: '' };
  let parents: Map<XmlNode, XmlNode> | undefined;
  const ctx: Context = {
    node: info,
    position: 1,
    size: 1,
    root,
    parents: () => {
      if (!parents) {
        parents = new Map();
        const walk = (n: XmlNode) => n.children.forEach((c) => (parents!.set(c, n), walk(c)));
        walk(root);
      }
      return parents;
    },
  };
  return toBool(evaluate(q.expr, ctx));
}

/** liblsl's query for resolve_stream(prop, value): `session_id='<session>' and prop='value'`. */
export function propertyQuery(sessionId: string, prop?: string, value?: string): string {
  let q = `session_id=${quote(sessionId)}`;
  if (prop) q += ` and ${prop}`;
  if (value !== undefined) q += `=${quote(value)}`;
  return q;
}

/** An XPath string literal for any text ('…', or "…", or concat() when it holds both quotes). */
export function quote(s: string): string {
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  return `concat(${s.split("'").map((p) => `'${p}'`).join(`, "'", `)})`;
}

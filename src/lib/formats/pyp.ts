// NeuroPype .pyp pipeline files (API.md §7.8, PYP.md): read the Orange-Canvas XML wrapper and its
// JSON <patch> (or, for patch-less files, the literal or pickled <node_properties>), write the same
// format, and convert to/from our pipeline document through a class-name resolver (the engine
// registry's NeuroPype aliases). Pure; runs anywhere (no DOMParser: the service worker and Node have
// none). Must read pickles only through pickle.ts (which executes nothing), never load a partial
// graph, and never recurse without bound.

import { InputError } from '../core/errors';
import { parsePythonJson } from '../core/python-json';
import { PickleObject, unpickle, type PickleValue } from './pickle';

// Same values as engine/document's PIPELINE_FORMAT / PIPELINE_VERSION (checked in the spec): formats
// sit below the engine and import nothing from it.
const PIPELINE_FORMAT = 'neurotab.pipeline';
const PIPELINE_VERSION = 1;

/**
 * Our pipeline document as this module reads and writes it: the same shape as engine/document's
 * PipelineDocument (the spec checks that each is assignable to the other), restated here so that
 * formats need no engine type.
 */
export interface PipelineDocumentShape {
  format: typeof PIPELINE_FORMAT;
  version: typeof PIPELINE_VERSION;
  meta: { name: string; description: string; [key: string]: unknown };
  nodes: { id: string; type: string; params: Record<string, unknown>; title?: string }[];
  edges: { source: string; sourcePort: string; target: string; targetPort: string }[];
  /** Editor-only (positions …). */
  ui?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// The NeuroPype graph as it is in a file

export interface PypDescription {
  name: string;
  description: string;
  url: string;
  status: string;
  license: string;
  version: string;
}

export interface PypParam {
  customized: boolean;
  /** NeuroPype port class: "FloatPort", "ListPort", "Port" … */
  type: string;
  value: unknown;
}

export interface PypNode {
  /** 1-based index: patch key `node<index>`, XML id `index - 1`, API node id. */
  index: number;
  class: string;
  module: string;
  uuid: string;
  title?: string;
  position?: { x: number; y: number };
  /** Widget display name from the XML (`name` attribute). */
  name?: string;
  /** The node's own version from the XML (`version` attribute, e.g. "1.5.1"). */
  version?: string;
  params: Record<string, PypParam>;
}

export interface PypEdge {
  source: number;
  sourcePort: string;
  target: number;
  targetPort: string;
}

export interface PypGraph {
  description: PypDescription;
  nodes: PypNode[];
  edges: PypEdge[];
}

export const DEFAULT_DESCRIPTION: PypDescription = {
  name: '(untitled)',
  description: '(description missing)',
  url: '',
  status: '(unspecified)',
  license: '',
  version: '0.0.0',
};

/** The pipeline is encrypted (NeuroPype's licensed pipelines); this engine cannot decrypt it. */
export class EncryptedPipelineError extends InputError {
  override name = 'EncryptedPipelineError';
}

/** Node classes the engine cannot run; nothing is loaded. */
export class UnsupportedNodeClassError extends InputError {
  override name = 'UnsupportedNodeClassError';
  constructor(
    readonly classes: string[],
    where?: string,
  ) {
    super(
      `the pipeline uses node classes this engine cannot run: ${classes.join(', ')}; replace or remove them (GET /np/nodeclasses lists the supported ones)`,
      where,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal XML reader (elements, attributes, text, CDATA, comments, PIs, entities)

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_XML_DEPTH = 64;

function decodeEntities(s: string, where: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new InputError(`bad character reference &${e};`, where);
      return String.fromCodePoint(code);
    }
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (!(e in named)) throw new InputError(`unknown XML entity &${e};`, where);
    return named[e];
  });
}

function parseXml(src: string, where: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    const line = src.slice(0, i).split('\n').length;
    throw new InputError(`${msg} (XML line ${line})`, where);
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const top = stack[stack.length - 1];
    if (lt < 0) {
      if (src.slice(i).trim() !== '' && stack.length > 1) fail(`unclosed element <${top.name}>`);
      top.text += decodeEntities(src.slice(i), where);
      break;
    }
    if (lt > i) top.text += decodeEntities(src.slice(i, lt), where);
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i + 9);
      if (end < 0) fail('unterminated CDATA section');
      top.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!', i)) {
      const end = src.indexOf('>', i + 2);
      if (end < 0) fail('unterminated declaration');
      i = end + 1;
    } else if (src.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(src.slice(i, i + 200));
      if (!m) fail('malformed closing tag');
      const name = m![1];
      if (stack.length < 2 || top.name !== name) fail(`closing tag </${name}> does not match <${top.name}>`);
      stack.pop();
      i += m![0].length;
    } else {
      const nm = /^<([A-Za-z_][\w.:-]*)/.exec(src.slice(i, i + 200));
      if (!nm) fail('malformed tag');
      const el: XmlElement = { name: nm![1], attrs: {}, children: [], text: '' };
      i += nm![0].length;
      const attrRe = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
      for (;;) {
        attrRe.lastIndex = i;
        const am = attrRe.exec(src);
        if (!am) break;
        setOwn(el.attrs, am[1], decodeEntities(am[3] ?? am[4] ?? '', where));
        i = attrRe.lastIndex;
      }
      while (i < src.length && /\s/.test(src[i])) i++;
      top.children.push(el);
      if (src.startsWith('/>', i)) i += 2;
      else if (src[i] === '>') {
        i += 1;
        stack.push(el);
        if (stack.length > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
      } else fail(`malformed attributes in <${el.name}>`);
    }
  }
  if (stack.length > 1) fail(`unclosed element <${stack[stack.length - 1].name}>`);
  const elements = root.children;
  if (elements.length !== 1) fail('expected exactly one root element');
  return elements[0];
}

const child = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);

/** Own-property assignment that keeps keys such as "__proto__" ordinary (data from files is untrusted). */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Python literal reader (for format="literal" node properties): str, int, float, bool, None,
// list, tuple, dict; nothing else (no names, no calls).

export function parsePythonLiteral(src: string, where: string): unknown {
  let i = 0;
  const fail = (msg: string): never => {
    throw new InputError(`${msg} at offset ${i} of a Python literal`, where);
  };
  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > 64) fail('nesting too deep');
    ws();
    const c = src[i];
    if (c === undefined) fail('unexpected end');
    if (c === '{') return seq('}', depth, true);
    if (c === '[') return seq(']', depth, false);
    if (c === '(') return seq(')', depth, false);
    if (c === "'" || c === '"') return str();
    if (src.startsWith('True', i)) return (i += 4), true;
    if (src.startsWith('False', i)) return (i += 5), false;
    if (src.startsWith('None', i)) return (i += 4), null;
    if (src.startsWith('inf', i)) return (i += 3), Infinity;
    if (src.startsWith('-inf', i)) return (i += 4), -Infinity;
    if (src.startsWith('nan', i)) return (i += 3), NaN;
    const m = /^[-+]?(?:\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(src.slice(i, i + 64));
    if (!m) fail(`unexpected ${JSON.stringify(c)}`);
    i += m![0].length;
    return Number(m![0].replace(/_/g, ''));
  };
  const str = (): string => {
    const q = src[i];
    const triple = src.startsWith(q.repeat(3), i);
    const end = triple ? q.repeat(3) : q;
    i += end.length;
    let out = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      if (src.startsWith(end, i)) {
        i += end.length;
        return out;
      }
      const ch = src[i];
      if (ch === '\\') {
        const e = src[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'x' || e === 'u' || e === 'U') {
          const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = src.slice(i + 2, i + 2 + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail('bad escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + n;
        } else {
          out += '\\';
          i += 1;
        }
      } else {
        out += ch;
        i++;
      }
    }
  };
  const seq = (close: string, depth: number, dict: boolean): unknown => {
    i++;
    const arr: unknown[] = [];
    const obj: Record<string, unknown> = {};
    for (;;) {
      ws();
      if (src[i] === close) {
        i++;
        return dict ? obj : arr;
      }
      const v = value(depth + 1);
      if (dict) {
        ws();
        if (src[i] !== ':') fail("expected ':'");
        i++;
        Object.defineProperty(obj, String(v), { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      } else arr.push(v);
      ws();
      if (src[i] === ',') i++;
      else if (src[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const v = value(0);
  ws();
  if (i < src.length) fail('unexpected text after the literal');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** What a pipeline text turned out to be. */
export type PipelineText = { kind: 'pyp'; graph: PypGraph } | { kind: 'neurotab'; doc: Record<string, unknown> };

const FERNET = /^gAAAAA[A-Za-z0-9_=-]{40,}$/;

function isEncrypted(text: string): boolean {
  const t = text.trim();
  return FERNET.test(t) || t.startsWith('-----BEGIN') || /^[A-Za-z0-9+/=\r\n]{64,}$/.test(t);
}

/**
 * Classify and read a stored pipeline: `.pyp` XML, a bare NeuroPype patch (`{nodes: {node1: …}}`),
 * or our own document (`format: "neurotab.pipeline"` or `{nodes: [...]}`).
 * Throws InputError (or EncryptedPipelineError) saying what is wrong and where.
 */
export function readPipelineText(text: string, where = 'pipeline'): PipelineText {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('<')) return { kind: 'pyp', graph: parsePypXml(t, where) };
  if (t.startsWith('{')) {
    const v = parsePythonJson(t, where);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError('expected a JSON object', where);
    const o = v as Record<string, unknown>;
    if (o.encrypted !== undefined || o.ciphertext !== undefined) throw new EncryptedPipelineError('the pipeline is encrypted', where);
    if (typeof o.nodes === 'object' && o.nodes !== null && !Array.isArray(o.nodes)) return { kind: 'pyp', graph: patchToGraph(o, undefined, where) };
    if (o.format === PIPELINE_FORMAT || Array.isArray(o.nodes)) return { kind: 'neurotab', doc: o };
    throw new InputError('a JSON pipeline needs "nodes" (a neurotab.pipeline document or a NeuroPype patch)', where);
  }
  if (isEncrypted(t)) throw new EncryptedPipelineError('the pipeline is encrypted', where);
  throw new InputError('not a pipeline: expected .pyp XML (<scheme …>) or pipeline JSON ({…})', where);
}

/** Parse a `.pyp` file (XML with a JSON patch, or the older patch-less variant). */
export function parsePyp(text: string, where = 'pipeline.pyp'): PypGraph {
  const r = readPipelineText(text, where);
  if (r.kind !== 'pyp') throw new InputError('this is a neurotab.pipeline document, not a .pyp file', where);
  return r.graph;
}

interface XmlNodeInfo {
  id: number;
  uuid?: string;
  title?: string;
  name?: string;
  version?: string;
  qualifiedName?: string;
  position?: { x: number; y: number };
}

function parsePosition(s: string | undefined): { x: number; y: number } | undefined {
  if (!s) return undefined;
  const m = /^\s*\(\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*\)\s*$/.exec(s);
  if (!m) return undefined;
  const x = Number(m[1]);
  const y = Number(m[2]);
  return Number.isFinite(x) && Number.isFinite(y) ? { x, y } : undefined;
}

function parsePypXml(text: string, where: string): PypGraph {
  const scheme = parseXml(text, where);
  if (scheme.name !== 'scheme') throw new InputError(`root element is <${scheme.name}>, expected <scheme> (a NeuroPype .pyp file)`, where);
  if (scheme.attrs.encrypted !== undefined && scheme.attrs.encrypted !== 'false') throw new EncryptedPipelineError('the pipeline is encrypted', where);
  const xmlNodes = new Map<number, XmlNodeInfo>();
  for (const n of child(scheme, 'nodes')?.children ?? []) {
    if (n.name !== 'node') continue;
    const id = Number(n.attrs.id);
    if (!Number.isInteger(id) || id < 0) throw new InputError(`<node> has a bad id ${JSON.stringify(n.attrs.id)}`, where);
    xmlNodes.set(id, {
      id,
      uuid: n.attrs.uuid,
      title: n.attrs.title,
      name: n.attrs.name,
      version: n.attrs.version,
      qualifiedName: n.attrs.qualified_name,
      position: parsePosition(n.attrs.position),
    });
  }
  const patchEl = child(scheme, 'patch');
  if (patchEl && (patchEl.attrs.encrypted !== undefined || (isEncrypted(patchEl.text) && !patchEl.text.trim().startsWith('{'))))
    throw new EncryptedPipelineError('the pipeline is encrypted', where);
  const patchText = patchEl?.text.trim() ?? '';
  if (patchText !== '') {
    const patch = parsePythonJson(patchText, `${where} <patch>`);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new InputError('<patch> must hold a JSON object', where);
    return patchToGraph(patch as Record<string, unknown>, xmlNodes, where);
  }
  return xmlOnlyGraph(scheme, xmlNodes, where);
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

function patchToGraph(patch: Record<string, unknown>, xml: Map<number, XmlNodeInfo> | undefined, where: string): PypGraph {
  const d = (patch.description ?? {}) as Record<string, unknown>;
  const description: PypDescription = {
    name: str(d.name, DEFAULT_DESCRIPTION.name),
    description: str(d.description, DEFAULT_DESCRIPTION.description),
    url: str(d.url, DEFAULT_DESCRIPTION.url),
    status: str(d.status, DEFAULT_DESCRIPTION.status),
    license: str(d.license, DEFAULT_DESCRIPTION.license),
    version: str(d.version, DEFAULT_DESCRIPTION.version),
  };
  const rawNodes = patch.nodes;
  if (typeof rawNodes !== 'object' || rawNodes === null || Array.isArray(rawNodes)) throw new InputError('"nodes" must be an object keyed node1, node2, …', `${where} patch`);
  const xmlByUuid = new Map<string, XmlNodeInfo>();
  for (const x of xml?.values() ?? []) if (x.uuid) xmlByUuid.set(x.uuid.toLowerCase(), x);
  const nodes: PypNode[] = [];
  const seen = new Set<number>();
  for (const [key, raw] of Object.entries(rawNodes as Record<string, unknown>)) {
    const at = `${where} patch nodes.${key}`;
    const m = /^node([1-9]\d{0,5})$/.exec(key);
    if (!m) throw new InputError('node keys must be node1, node2, …', at);
    const index = Number(m[1]);
    seen.add(index);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError('must be an object with class, module, uuid, params', at);
    const r = raw as Record<string, unknown>;
    if (typeof r.class !== 'string' || r.class === '') throw new InputError('"class" must name a NeuroPype node class', at);
    const params: Record<string, PypParam> = {};
    const rp = r.params ?? {};
    if (typeof rp !== 'object' || rp === null || Array.isArray(rp)) throw new InputError('"params" must be an object', at);
    for (const [pname, pv] of Object.entries(rp as Record<string, unknown>)) {
      if (typeof pv === 'object' && pv !== null && !Array.isArray(pv) && 'value' in pv) {
        const q = pv as Record<string, unknown>;
        setOwn(params, pname, { customized: q.customized === true, type: str(q.type, 'Port'), value: q.value ?? null });
      } else setOwn(params, pname, { customized: true, type: 'Port', value: pv ?? null });
    }
    const uuid = typeof r.uuid === 'string' ? r.uuid.toLowerCase() : '';
    // nodeK is XML id K-1 in every known file (PYP.md §1.6); the uuid confirms it or finds the right one.
    const byId = xml?.get(index - 1);
    const x = byId && (!uuid || !byId.uuid || byId.uuid.toLowerCase() === uuid) ? byId : (uuid && xmlByUuid.get(uuid)) || byId;
    nodes.push({
      index,
      class: r.class,
      module: str(r.module, `neuropype.nodes.${r.class}`),
      uuid: uuid || x?.uuid?.toLowerCase() || '',
      ...(x?.title !== undefined ? { title: x.title } : {}),
      ...(x?.name !== undefined ? { name: x.name } : {}),
      ...(x?.version !== undefined ? { version: x.version } : {}),
      ...(x?.position ? { position: x.position } : {}),
      params,
    });
  }
  nodes.sort((a, b) => a.index - b.index);
  const edges: PypEdge[] = [];
  const rawEdges = patch.edges ?? [];
  if (!Array.isArray(rawEdges)) throw new InputError('"edges" must be a list of [source, port, target, port]', `${where} patch`);
  rawEdges.forEach((e, k) => {
    const at = `${where} patch edges[${k}]`;
    if (!Array.isArray(e) || e.length !== 4 || !e.every((s) => typeof s === 'string'))
      throw new InputError('must be [source_key, source_port, target_key, target_port] (four strings)', at);
    const [s, sp, t, tp] = e as string[];
    const si = /^node(\d+)$/.exec(s);
    const ti = /^node(\d+)$/.exec(t);
    if (!si || !seen.has(Number(si[1]))) throw new InputError(`source "${s}" is not a node of this pipeline`, at);
    if (!ti || !seen.has(Number(ti[1]))) throw new InputError(`target "${t}" is not a node of this pipeline`, at);
    edges.push({ source: Number(si[1]), sourcePort: sp, target: Number(ti[1]), targetPort: tp });
  });
  return { description, nodes, edges };
}

/** Ports whose display name (XML links) is not the capitalised words of the engine name, per class (PYP.md §1.4). */
const PORT_DISPLAY_EXCEPTIONS: Record<string, Record<string, string>> = {
  Segmentation: { time_bounds: 'Segment Time Limits' },
  RewriteMarkers: { rules: 'Rewriting Rule' },
  ListIterator: { items: 'Items To Iterate Over' },
  CCA: { X: 'X', Y: 'Y', A: 'A', B: 'B', D: 'D' },
};
const PORT_NAME_EXCEPTIONS: Record<string, string> = Object.fromEntries(
  Object.values(PORT_DISPLAY_EXCEPTIONS).flatMap((ports) => Object.entries(ports).map(([engine, display]) => [display, engine])),
);
const enginePortName = (display: string) => PORT_NAME_EXCEPTIONS[display] ?? display.trim().toLowerCase().replace(/\s+/g, '_');
/** The designer's channel name of an engine port: `calib_data` → `Calib Data`, `X` → `X`. */
const portDisplayName = (cls: string, port: string) =>
  PORT_DISPLAY_EXCEPTIONS[cls]?.[port] ?? port.split('_').map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w)).join(' ');

/**
 * A `format="pickle"` settings block: base64 (wrapped) of a pickled dict, read by pickle.ts (which
 * executes nothing). Values become JSON: big ints numbers; the Qt window geometry is the only
 * object allowed, and only under savedWidgetGeometry (dropped by the caller).
 */
function pickledSettings(text: string, where: string): unknown {
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) throw new InputError('pickled properties are not valid base64', where);
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const settings = unpickle(bytes, `${where} pickled properties`);
  const json = (v: PickleValue, key: string): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Uint8Array || v instanceof PickleObject) {
      if (key === 'savedWidgetGeometry') return null;
      throw new InputError(`setting "${key}" holds ${v instanceof PickleObject ? v.pythonClass : 'bytes'}, which no NeuroPype parameter takes`, where);
    }
    if (Array.isArray(v)) return v.map((x) => json(x, key));
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) setOwn(o, k, json(x, key));
      return o;
    }
    return v;
  };
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings) || settings instanceof Uint8Array || settings instanceof PickleObject)
    throw new InputError('pickled properties must hold a dict', where);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) setOwn(out, k, json(v, k));
  return out;
}

/** Variant A (empty <patch/>): classes from qualified_name, parameters from literal or pickled properties. */
function xmlOnlyGraph(scheme: XmlElement, xml: Map<number, XmlNodeInfo>, where: string): PypGraph {
  const props = new Map<number, XmlElement>();
  for (const p of child(scheme, 'node_properties')?.children ?? []) if (p.name === 'properties') props.set(Number(p.attrs.node_id), p);
  const nodes: PypNode[] = [];
  for (const x of [...xml.values()].sort((a, b) => a.id - b.id)) {
    const at = `${where} <node id="${x.id}">`;
    const qn = x.qualifiedName ?? '';
    const m = /^widgets\.([\w.]+)\.ow\w+\.OW(\w+)$/.exec(qn);
    if (!m) throw new InputError(`cannot tell the node class from qualified_name ${JSON.stringify(qn)}`, at);
    const [, category, cls] = m;
    const params: Record<string, PypParam> = {};
    const p = props.get(x.id);
    const text = p?.text.trim() ?? '';
    if (p && text !== '') {
      const settings = p.attrs.format === 'pickle' ? pickledSettings(text, `${at} (${cls})`) : parsePythonLiteral(text, at);
      if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) throw new InputError('properties must be a dict', at);
      for (const [k, v] of Object.entries(settings as Record<string, unknown>)) {
        if (k === 'savedWidgetGeometry') continue;
        setOwn(params, k, { customized: v !== '(use default)', type: 'Port', value: v === '(use default)' ? null : v });
      }
    }
    nodes.push({
      index: x.id + 1,
      class: cls,
      module: `neuropype.nodes.${category}.${cls}`,
      uuid: x.uuid?.toLowerCase() ?? '',
      ...(x.title !== undefined ? { title: x.title } : {}),
      ...(x.name !== undefined ? { name: x.name } : {}),
      ...(x.version !== undefined ? { version: x.version } : {}),
      ...(x.position ? { position: x.position } : {}),
      params,
    });
  }
  const edges: PypEdge[] = [];
  for (const l of child(scheme, 'links')?.children ?? []) {
    if (l.name !== 'link' || l.attrs.enabled === 'false') continue;
    const s = Number(l.attrs.source_node_id);
    const t = Number(l.attrs.sink_node_id);
    if (!xml.has(s) || !xml.has(t)) throw new InputError(`link ${l.attrs.id} joins unknown nodes`, where);
    edges.push({ source: s + 1, sourcePort: enginePortName(l.attrs.source_channel ?? 'Data'), target: t + 1, targetPort: enginePortName(l.attrs.sink_channel ?? 'Data') });
  }
  const d = { ...DEFAULT_DESCRIPTION };
  if (scheme.attrs.title) d.name = scheme.attrs.title;
  if (scheme.attrs.description) d.description = scheme.attrs.description;
  return { description: d, nodes, edges };
}

// ---------------------------------------------------------------------------------------------
// Writing: the layout of the G2 designer (PYP.md §1.1–1.6), which API.md §7.8 sketched with empty
// node_properties; NeuroPype's designer reads the settings from the literal properties.

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) setOwn(out, k, sortKeys((v as Record<string, unknown>)[k]));
    return out;
  }
  return v;
}

/** JSON with NaN/±Infinity written as Python does (NaN, Infinity, -Infinity). */
function pythonJson(v: unknown, indent: string, level: number): string {
  const pad = indent.repeat(level);
  const pad1 = indent.repeat(level + 1);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad1 + pythonJson(x, indent, level + 1)).join(',\n')}\n${pad}]`;
  }
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad1}${JSON.stringify(k)}: ${pythonJson((v as Record<string, unknown>)[k], indent, level + 1)}`).join(',\n')}\n${pad}}`;
  }
  return JSON.stringify(v ?? null);
}

function widgetName(cls: string): string {
  return cls.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
}

/** Python `repr` of a str (single quotes unless the text holds ' and no "), as ast.literal_eval reads it. */
function pythonStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === q) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

/**
 * A value as a Python literal (the `format="literal"` properties): True/False/None, ints, floats
 * (an integral FloatPort value keeps its ".0"; ±Infinity as ±1e309, which literal_eval reads as
 * ±inf; NaN, which no literal spells, as None), str, list, dict.
 */
function pythonLiteral(v: unknown, floatPort = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'None';
    if (!Number.isFinite(v)) return v > 0 ? '1e309' : '-1e309';
    return floatPort && Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
  }
  if (typeof v === 'string') return pythonStr(v);
  if (Array.isArray(v)) return `[${v.map((x) => pythonLiteral(x)).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pythonStr(k)}: ${pythonLiteral(x)}`).join(', ')}}`;
  return pythonStr(String(v));
}

/** The designer's copy of a node's settings: every parameter, null as '(use default)', geometry None, keys sorted. */
function literalProperties(n: PypNode): string {
  const entries: [string, string][] = Object.entries(n.params).map(([k, p]) => [
    k,
    p.value === null || (typeof p.value === 'number' && Number.isNaN(p.value)) ? "'(use default)'" : pythonLiteral(p.value, p.type === 'FloatPort'),
  ]);
  entries.push(['savedWidgetGeometry', 'None']);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonStr(k)}: ${v}`).join(', ')}}`;
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Write a `.pyp` file as NeuroPype's PyQt5 designer (G2, PYP.md §1.1) does: XML with alphabetical
 * attributes; nodes in index order with dense ids 0…N−1 (patch key node<id+1>, so sparse indices are
 * renumbered); links with the designer's channel names; literal node_properties holding every
 * parameter; the JSON patch indented 4 spaces with sorted keys, version 1.1.
 */
export function writePyp(g: PypGraph): string {
  const pkgOf = (n: PypNode) => {
    const parts = n.module.split('.');
    return parts.length >= 4 && parts[0] === 'neuropype' && parts[1] === 'nodes' ? parts.slice(2, -1).join('.') : 'neurotab';
  };
  const nodes = [...g.nodes].sort((a, b) => a.index - b.index);
  const xmlId = new Map(nodes.map((n, k) => [n.index, k]));
  const byIndex = new Map(nodes.map((n) => [n.index, n]));
  const edges = g.edges.filter((e) => byIndex.has(e.source) && byIndex.has(e.target));
  const lines: string[] = [];
  lines.push("<?xml version='1.0' encoding='utf-8'?>");
  lines.push(`<scheme description="${escapeXml(g.description.description)}" title="${escapeXml(g.description.name)}" version="2.0">`);
  lines.push('\t<nodes>');
  nodes.forEach((n, k) => {
    const name = n.name ?? widgetName(n.class);
    // Nodes the editor never placed go in a row, so the designer does not stack them.
    const pos = n.position ? `(${n.position.x}, ${n.position.y})` : `(${150 * k}, 0)`;
    lines.push(
      `\t\t<node id="${xmlId.get(n.index)}" name="${escapeXml(name)}" position="${escapeXml(pos)}" project_name="NeuroPype" ` +
        `qualified_name="${escapeXml(`widgets.${pkgOf(n)}.ow${n.class.toLowerCase()}.OW${n.class}`)}" title="${escapeXml(n.title ?? name)}" uuid="${escapeXml(n.uuid)}" version="${escapeXml(n.version ?? '1.0.0')}" />`,
    );
  });
  lines.push('\t</nodes>');
  lines.push('\t<links>');
  edges.forEach((e, k) => {
    const src = byIndex.get(e.source)!;
    const dst = byIndex.get(e.target)!;
    lines.push(
      `\t\t<link enabled="true" id="${k}" sink_channel="${escapeXml(portDisplayName(dst.class, e.targetPort))}" sink_node_id="${xmlId.get(e.target)}" ` +
        `source_channel="${escapeXml(portDisplayName(src.class, e.sourcePort))}" source_node_id="${xmlId.get(e.source)}" />`,
    );
  });
  lines.push('\t</links>');
  lines.push('\t<annotations />');
  lines.push('\t<thumbnail />');
  lines.push('\t<node_properties>');
  for (const n of nodes) lines.push(`\t\t<properties format="literal" node_id="${xmlId.get(n.index)}">${escapeText(literalProperties(n))}</properties>`);
  lines.push('\t</node_properties>');
  const key = (index: number) => `node${xmlId.get(index)! + 1}`;
  const patch = {
    description: g.description,
    edges: edges.map((e) => [key(e.source), e.sourcePort, key(e.target), e.targetPort]),
    nodes: Object.fromEntries(nodes.map((n) => [key(n.index), { class: n.class, module: n.module, params: n.params, uuid: n.uuid }])),
    version: 1.1,
  };
  lines.push(`\t<patch>${escapeText(pythonJson(sortKeys(patch), '    ', 0))}</patch>`);
  lines.push('</scheme>');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Conversion to and from our pipeline document

/** How NeuroPype names map onto our node classes (implemented from the engine registry). */
export interface PypResolver {
  /** Our node type for a NeuroPype class (or module), undefined when unsupported. */
  nodeType(npClass: string, npModule: string): string | undefined;
  /** Our parameter name for a NeuroPype parameter of `type`; undefined when the node has none. */
  paramName(type: string, npParam: string): string | undefined;
  /** NeuroPype identity of our node type, for writing. */
  neuropype(type: string): { class: string; module: string } | undefined;
  /** NeuroPype port class of a parameter ("FloatPort" …), for writing. */
  portType(type: string, param: string): string;
  /**
   * Every parameter of our node type with its port class and default, for writing files whose
   * properties list them all as NeuroPype's do. Without it only the document's parameters are written.
   */
  parameters?(type: string): { name: string; portType: string; default: unknown }[];
}

/** Editor/API extras kept in `ui.neuropype` so a save writes back the same identities. */
export interface PypUiInfo {
  description: PypDescription;
  nodes: Record<string, { uuid: string; index: number; title?: string; name?: string; version?: string; class: string; module: string; customized: string[] }>;
}

export interface PypConversion {
  doc: PipelineDocumentShape;
  /** Customized NeuroPype parameters our node classes do not have (dropped; worth a WARNING). */
  warnings: string[];
}

/**
 * Our classes without a NeuroPype identity are written as module `neurotab.nodes.<type>` and a
 * class name made of the type's words ("spectral.band-power" → "SpectralBandPower"), so the XML keeps
 * the designer's `widgets.<category>.ow<class>.OW<Class>` shape; reading resolves them by the module.
 */
const OWN_MODULE_PREFIX = 'neurotab.nodes.';
const ownClassName = (type: string) => type.split(/[^A-Za-z0-9]+/).map((w) => (w ? w[0].toUpperCase() + w.slice(1) : '')).join('');
/** Our type for a NeuroPype node (by class, module, or our own module name); undefined when we lack it. */
export const resolveType = (resolver: PypResolver, n: PypNode) =>
  resolver.nodeType(n.class, n.module) ?? (n.module.startsWith(OWN_MODULE_PREFIX) ? resolver.nodeType(n.module.slice(OWN_MODULE_PREFIX.length), '') : undefined);

/** Node id used in our document for NeuroPype node index k. */
export const pypNodeId = (index: number) => `node${index}`;

/**
 * Convert a NeuroPype graph to our document. Every class must resolve: otherwise an
 * UnsupportedNodeClassError lists all of them and nothing is converted. `null` (and NaN) values
 * mean "use the default" and are left out; parameters our classes lack are dropped (warned when customized).
 */
export function pypToPipeline(g: PypGraph, resolver: PypResolver, where = 'pipeline'): PypConversion {
  const unsupported = new Set<string>();
  const types = new Map<number, string>();
  for (const n of g.nodes) {
    const t = resolveType(resolver, n);
    if (t === undefined) unsupported.add(n.class);
    else types.set(n.index, t);
  }
  if (unsupported.size > 0) throw new UnsupportedNodeClassError([...unsupported].sort(), where);
  const warnings: string[] = [];
  const positions: Record<string, { x: number; y: number }> = {};
  const ui: PypUiInfo = { description: g.description, nodes: {} };
  const nodes = g.nodes.map((n) => {
    const type = types.get(n.index)!;
    const id = pypNodeId(n.index);
    const params: Record<string, unknown> = {};
    const customized: string[] = [];
    for (const [name, p] of Object.entries(n.params)) {
      const ours = resolver.paramName(type, name);
      if (ours === undefined) {
        if (p.customized && p.value !== null) warnings.push(`${n.class} (node ${n.index}): parameter "${name}" is not supported and was ignored`);
        continue;
      }
      if (p.customized) customized.push(ours);
      // null = "use the default"; NeuroPype also writes NaN for unset numbers (e.g. LSLInput nominal_rate).
      if (p.value === null || (typeof p.value === 'number' && Number.isNaN(p.value))) continue;
      setOwn(params, ours, p.value);
    }
    if (n.position) positions[id] = n.position;
    ui.nodes[id] = {
      uuid: n.uuid,
      index: n.index,
      class: n.class,
      module: n.module,
      customized,
      ...(n.title !== undefined ? { title: n.title } : {}),
      ...(n.name !== undefined ? { name: n.name } : {}),
      ...(n.version !== undefined ? { version: n.version } : {}),
    };
    return { id, type, params, ...(n.title !== undefined ? { title: n.title } : {}) };
  });
  const doc: PipelineDocumentShape = {
    format: PIPELINE_FORMAT,
    version: PIPELINE_VERSION,
    meta: {
      name: g.description.name,
      description: g.description.description,
      url: g.description.url,
      status: g.description.status,
      license: g.description.license,
      version: g.description.version,
    },
    nodes,
    edges: g.edges.map((e) => ({ source: pypNodeId(e.source), sourcePort: e.sourcePort, target: pypNodeId(e.target), targetPort: e.targetPort })),
    ui: { positions, neuropype: ui },
  };
  return { doc, warnings };
}

/** An editor position as {x, y}: editors store `{x, y}` or `[x, y]`; anything else is dropped. */
export function uiPosition(p: unknown): { x: number; y: number } | undefined {
  const [x, y] = Array.isArray(p) ? p : p && typeof p === 'object' ? [(p as { x?: unknown }).x, (p as { y?: unknown }).y] : [];
  return typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) ? { x, y } : undefined;
}

/**
 * Convert our document to a NeuroPype graph for writing. Nodes keep the order, uuid, name and
 * version recorded in `ui.neuropype` when there is one (new nodes follow in document order, with new
 * uuids); indices are dense 1…N in that order. With `resolver.parameters`, every parameter of the
 * class is written (defaults included, `customized` for those the document sets or the import marked).
 */
export function pipelineToPyp(doc: PipelineDocumentShape, resolver: PypResolver): PypGraph {
  const ui = (doc.ui?.neuropype ?? undefined) as PypUiInfo | undefined;
  const positions = (doc.ui?.positions ?? {}) as Record<string, unknown>;
  const meta = doc.meta as Record<string, unknown>;
  const description: PypDescription = {
    name: str(meta.name, DEFAULT_DESCRIPTION.name),
    description: str(meta.description, DEFAULT_DESCRIPTION.description),
    url: str(meta.url, DEFAULT_DESCRIPTION.url),
    status: str(meta.status, DEFAULT_DESCRIPTION.status),
    license: str(meta.license, DEFAULT_DESCRIPTION.license),
    version: str(meta.version, DEFAULT_DESCRIPTION.version),
  };
  // Written order: nodes recorded at import by their index, then the others as the document lists them.
  const recorded = (id: string) => ui?.nodes[id]?.index;
  const order = [...doc.nodes].sort((a, b) => (recorded(a.id) ?? Number.MAX_SAFE_INTEGER) - (recorded(b.id) ?? Number.MAX_SAFE_INTEGER));
  const indexOf = new Map(order.map((n, k) => [n.id, k + 1]));
  const nodes: PypNode[] = order.map((n) => {
    const info = ui?.nodes[n.id];
    const np = resolver.neuropype(n.type) ?? { class: info?.class ?? ownClassName(n.type), module: info?.module ?? `${OWN_MODULE_PREFIX}${n.type}` };
    const customized = new Set(info?.customized ?? Object.keys(n.params));
    const params: Record<string, PypParam> = {};
    const put = (k: string, type: string, v: unknown) => setOwn(params, k, { customized: customized.has(k), type, value: v ?? null });
    for (const spec of resolver.parameters?.(n.type) ?? []) put(spec.name, spec.portType, structuredClone(Object.hasOwn(n.params, spec.name) ? n.params[spec.name] : spec.default));
    for (const [k, v] of Object.entries(n.params)) if (!Object.hasOwn(params, k)) put(k, resolver.portType(n.type, k), v);
    // Customized to "use the default" (null): keep the flag so a reload shows the same state.
    for (const k of customized) if (!Object.hasOwn(params, k)) put(k, resolver.portType(n.type, k), null);
    const pos = uiPosition(positions[n.id]);
    const title = n.title ?? info?.title;
    return {
      index: indexOf.get(n.id)!,
      class: np.class,
      module: np.module,
      uuid: info?.uuid || crypto.randomUUID(),
      ...(title ? { title } : {}),
      ...(info?.name !== undefined ? { name: info.name } : {}),
      ...(info?.version !== undefined ? { version: info.version } : {}),
      ...(pos ? { position: pos } : {}),
      params,
    };
  });
  const edges = doc.edges.map((e) => ({ source: indexOf.get(e.source)!, sourcePort: e.sourcePort, target: indexOf.get(e.target)!, targetPort: e.targetPort }));
  return { description, nodes, edges: edges.filter((e) => e.source !== undefined && e.target !== undefined) };
}

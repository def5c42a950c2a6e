// Model-based random test of the Instinct family: thousands of calls in random order (valid,
// invalid and malformed; both route sets) against a model of the streams, their nodes, pipes and
// run states. After every call: never a 5xx, every error in the Instinct envelope with the status of
// its code, a rejected call leaves the streams exactly as they were, and the streams, their
// definitions and their (settled) states match the model. No engine loop is left at the end.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { createApi } from './index';
import { INSTINCT_STATUS } from './instinct-backend';
import { LocalBackend } from './local-backend';
import { call, type Reply } from './testing';

type Kind = 'gen' | 'flt' | 'sink' | 'log' | 'bad';
type State = 'created' | 'running' | 'paused' | 'stopped';

interface MStream {
  state: State;
  nodes: Map<string, Kind>;
  pipes: Map<string, { s: string; d: string }>;
  /** Node signals in force (only while the stream runs). */
  over: Map<string, 'paused' | 'stopped'>;
}

interface Model {
  streams: Map<string, MStream>;
  order: string[];
}

interface Real {
  app: Hono;
  /** Requests sent, random calls, calls accepted, and calls that changed a running graph (starts, live edits). */
  calls: { n: number; commands: number; accepted: number; live: number };
}

const S = '/instinct/stream/streams';
const EXECUTABLE: Record<Kind, { executable: string; config: Record<string, unknown> }> = {
  gen: { executable: '/usr/share/instinct/signal-generator', config: { sampleRate: 250, channels: 2 } },
  flt: { executable: '/usr/share/instinct/signal-filter', config: { highpass: 1, lowpass: 30 } },
  sink: { executable: 'node /usr/share/engines/worker-scripts/WebSocket.js', config: { port: 8088 } },
  log: { executable: 'Logger', config: {} },
  bad: { executable: '/usr/share/instinct/quantum-decoder', config: {} },
};

let counter = 0;
/** A fresh UUID (v4 layout). */
const fresh = () => `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}`;

// ------------------------------------------------------------------------------------ the model's engine

const ACTIVE: State[] = ['running', 'paused'];

/** Whether the engine accepts this graph: strict (start: every node must map) or as a running graph (live edits). */
function verdict(st: MStream, strict: boolean): 'ok' | 'unsupported_executable' | 'validation_failed' {
  if (strict && [...st.nodes.values()].includes('bad')) return 'unsupported_executable';
  const over = strict ? new Map() : st.over;
  const inGraph = (id: string) => st.nodes.get(id) !== 'bad' && !(st.nodes.get(id) === 'gen' && over.has(id));
  const incoming = new Map<string, number>();
  const succ = new Map<string, string[]>();
  for (const { s, d } of st.pipes.values()) {
    if (!inGraph(s) || !inGraph(d) || over.has(d)) continue;
    if (!['gen', 'flt'].includes(st.nodes.get(s)!)) return 'validation_failed'; // no output
    if (st.nodes.get(d) === 'gen') return 'validation_failed'; // a source has no input
    incoming.set(d, (incoming.get(d) ?? 0) + 1);
    if (incoming.get(d)! > 1) return 'validation_failed'; // one wire per input
    (succ.get(s) ?? succ.set(s, []).get(s)!).push(d);
  }
  const seen = new Set<string>();
  const onPath = new Set<string>();
  const cyclic = (n: string): boolean => {
    if (onPath.has(n)) return true;
    if (seen.has(n)) return false;
    seen.add(n);
    onPath.add(n);
    const c = (succ.get(n) ?? []).some(cyclic);
    onPath.delete(n);
    return c;
  };
  return [...st.nodes.keys()].some(cyclic) ? 'validation_failed' : 'ok';
}

function nodeView(st: MStream, id: string): string {
  if (!ACTIVE.includes(st.state)) return st.state;
  return st.over.get(id) ?? (st.nodes.get(id) === 'bad' ? 'created' : st.state);
}

// ------------------------------------------------------------------------------------ checks

async function snapshot(real: Real): Promise<string> {
  const list = (await call(real.app, 'GET', S)).json.streams as { id: string }[];
  const out: unknown[] = [list];
  for (const s of list) {
    out.push((await call(real.app, 'GET', `${S}/${s.id}`)).json);
    const st = (await call(real.app, 'GET', `${S}/${s.id}/status`)).json.status;
    out.push(st.state, st.nodes.map((n: { id: string; state: string }) => [n.id, n.state]));
  }
  real.calls.n += 1 + 2 * list.length;
  return JSON.stringify(out);
}

async function send(real: Real, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
  const before = await snapshot(real);
  const r = await call(real.app, method, path, body, headers);
  real.calls.n++;
  real.calls.commands++;
  expect(r.status, `${method} ${path} → ${r.text}`).toBeLessThan(500);
  expect(r.headers.get('x-request-id')).toMatch(/^req_/);
  if (r.status < 400) real.calls.accepted++;
  if (r.status >= 400) {
    expect(r.json, `${method} ${path}`).toEqual({ success: false, error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } });
    expect(INSTINCT_STATUS[r.json.error.code], `${r.json.error.code} for ${method} ${path}`).toBe(r.status);
    expect(await snapshot(real), `state changed by rejected ${method} ${path}: ${r.text}`).toBe(before);
  }
  return r;
}

function expectCode(r: Reply, status: number, code?: string): void {
  expect(r.status, r.text).toBe(status);
  if (code) expect(r.json.error.code, r.text).toBe(code);
}

/** Waits until no stream is in a transition (starting, pausing, stopping). */
async function settle(real: Real): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = (await call(real.app, 'GET', S)).json.streams as { id: string }[];
    const states = await Promise.all(list.map(async (s) => (await call(real.app, 'GET', `${S}/${s.id}/status`)).json.status.state));
    if (!states.some((x: string) => ['starting', 'pausing', 'stopping'].includes(x))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('a stream did not settle');
}

async function checkAgainstModel(m: Model, real: Real): Promise<void> {
  await settle(real);
  const list = (await call(real.app, 'GET', S)).json.streams as { id: string }[];
  expect(list.map((s) => s.id)).toEqual(m.order);
  for (const id of m.order) {
    const ms = m.streams.get(id)!;
    const def = (await call(real.app, 'GET', `${S}/${id}`)).json.stream;
    expect(def.nodes.map((n: { id: string }) => n.id)).toEqual([...ms.nodes.keys()]);
    expect(def.pipes.map((p: { id: string; source: string; destination: string }) => [p.id, p.source, p.destination])).toEqual([...ms.pipes].map(([k, p]) => [k, p.s, p.d]));
    const st = (await call(real.app, 'GET', `${S}/${id}/status`)).json.status;
    expect(st.state, `state of ${id}`).toBe(ms.state);
    expect(st.nodes.map((n: { state: string }) => n.state), `node states of ${id}`).toEqual([...ms.nodes.keys()].map((n) => nodeView(ms, n)));
    real.calls.n += 2;
  }
}

// ------------------------------------------------------------------------------------ references

type Ref = { kind: 'live'; k: number } | { kind: 'unknown' } | { kind: 'bad' };
const refArb: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(10).map((k) => ({ kind: 'live' as const, k })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unknown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bad' as const }) },
);

function resolve(m: Model, r: Ref): { id: string; st?: MStream } {
  if (r.kind === 'bad') return { id: 'not-a-uuid' };
  if (r.kind === 'unknown' || !m.order.length) return { id: '7348dd95-7835-4a8a-9ec5-000000000000' };
  const id = m.order[r.k % m.order.length];
  return { id, st: m.streams.get(id) };
}

/** Refs that did not name a live stream answer 400 (not a UUID) or 404. */
function expectMissing(r: Reply, ref: Ref): void {
  if (ref.kind === 'bad') expectCode(r, 400, 'invalid_parameter');
  else expectCode(r, 404, 'stream_not_found');
}

const pick = <T,>(xs: T[], k: number): T | undefined => (xs.length ? xs[k % xs.length] : undefined);

// ------------------------------------------------------------------------------------ commands

type Cmd = fc.AsyncCommand<Model, Real>;

class Create implements Cmd {
  constructor(
    readonly kinds: Kind[],
    readonly pipes: [number, number][],
    readonly variant: 'json' | 'yaml' | 'sdk' | 'badNodeId' | 'noId' | 'dangling' | 'duplicate' | 'notJson',
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const ids = this.kinds.map(() => fresh());
    const pipes = this.pipes.filter(([a, b]) => a < ids.length && b < ids.length).map(([a, b]) => ({ id: fresh(), source: ids[a], destination: ids[b] }));
    const id = this.variant === 'duplicate' && m.order.length ? m.order[0] : fresh();
    const body: Record<string, unknown> = { id, meta: { name: 'random' }, nodes: this.kinds.map((k, i) => ({ id: ids[i], type: 'EXECUTABLE', ...EXECUTABLE[k] })), pipes };
    let r: Reply;
    if (this.variant === 'yaml') r = await send(real, 'POST', `${S}/yaml`, JSON.stringify(body), { 'Content-Type': 'application/yaml' }); // JSON is YAML 1.2
    else if (this.variant === 'sdk') r = await send(real, 'POST', '/instinct/streams/stream', body);
    else if (this.variant === 'badNodeId') r = await send(real, 'POST', S, { ...body, nodes: [{ id: 'n-1', executable: 'Logger' }] });
    else if (this.variant === 'noId') r = await send(real, 'POST', S, { nodes: [] });
    else if (this.variant === 'dangling') r = await send(real, 'POST', S, { ...body, pipes: [{ id: fresh(), source: fresh(), destination: fresh() }] });
    else if (this.variant === 'notJson') r = await send(real, 'POST', S, '{"id": [', { 'Content-Type': 'application/json' });
    else r = await send(real, 'POST', S, body);
    if (this.variant === 'badNodeId') return expectCode(r, 400, 'invalid_parameter');
    if (this.variant === 'noId' || this.variant === 'notJson') return expectCode(r, 400, 'invalid_request');
    if (this.variant === 'dangling') return expectCode(r, 422, 'validation_failed');
    if (m.streams.has(id)) return expectCode(r, 409, 'stream_already_exists');
    expectCode(r, 200);
    m.streams.set(id, { state: 'created', nodes: new Map(this.kinds.map((k, i) => [ids[i], k])), pipes: new Map(pipes.map((p) => [p.id, { s: p.source, d: p.destination }])), over: new Map() });
    m.order.push(id);
  }
  toString = () => `Create(${this.kinds}, ${JSON.stringify(this.pipes)}, ${this.variant})`;
}

class Delete implements Cmd {
  constructor(readonly ref: Ref, readonly sdk: boolean) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const r = await send(real, 'DELETE', this.sdk ? `/instinct/streams/stream/${id}` : `${S}/${id}`);
    if (!st) return expectMissing(r, this.ref);
    expectCode(r, 200);
    m.streams.delete(id);
    m.order = m.order.filter((x) => x !== id);
  }
  toString = () => `Delete(${JSON.stringify(this.ref)}, sdk=${this.sdk})`;
}

type Encoding = 'form' | 'text' | 'json' | 'query' | 'sdk';
class Signal implements Cmd {
  constructor(readonly ref: Ref, readonly signal: string, readonly enc: Encoding) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const path = `${S}/${id}/signal`;
    const r =
      this.enc === 'form'
        ? await send(real, 'POST', path, `signal=${this.signal}`, { 'Content-Type': 'application/x-www-form-urlencoded' })
        : this.enc === 'text'
          ? await send(real, 'POST', path, `signal=${this.signal}`, { 'Content-Type': 'text/plain' })
          : this.enc === 'json'
            ? await send(real, 'POST', path, { signal: this.signal })
            : this.enc === 'query'
              ? await send(real, 'POST', `${path}?signal=${this.signal}`)
              : await send(real, 'POST', '/instinct/streams/stream/signal', { streamId: id, signal: { signal: this.signal, parameters: {} } });
    // The stream id is checked first, then the signal, then the stream is looked up.
    if (this.ref.kind === 'bad') return expectCode(r, 400, 'invalid_parameter');
    if (!['start', 'stop', 'pause', 'resume'].includes(this.signal)) return expectCode(r, 400, 'invalid_signal');
    if (!st) return expectCode(r, 404, 'stream_not_found');
    const refuse = () => expectCode(r, 409, 'invalid_state_transition');
    switch (this.signal) {
      case 'start': {
        if (st.state === 'running') return expectCode(r, 200);
        if (st.state === 'paused') return refuse();
        const v = verdict(st, true);
        if (v !== 'ok') return expectCode(r, 422, v);
        expectCode(r, 200);
        st.state = 'running';
        st.over.clear();
        real.calls.live++;
        return;
      }
      case 'pause':
        if (st.state === 'paused') return expectCode(r, 200);
        if (st.state !== 'running') return refuse();
        expectCode(r, 200);
        st.state = 'paused';
        return;
      case 'resume':
        if (st.state === 'running') return expectCode(r, 200);
        if (st.state !== 'paused') return refuse();
        expectCode(r, 200);
        st.state = 'running';
        return;
      case 'stop':
        if (st.state === 'stopped') return expectCode(r, 200);
        if (!ACTIVE.includes(st.state)) return refuse();
        expectCode(r, 200);
        st.state = 'stopped';
        return;
    }
  }
  toString = () => `Signal(${JSON.stringify(this.ref)}, ${this.signal}, ${this.enc})`;
}

class Replace implements Cmd {
  constructor(readonly ref: Ref, readonly patch: 'meta' | 'noPipes' | 'empty' | 'noNodes' | 'badPipe') {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const body = { meta: { meta: { name: 'renamed' } }, noPipes: { pipes: [] }, empty: { nodes: [], pipes: [] }, noNodes: { nodes: [] }, badPipe: { pipes: [{ id: 'x', source: 'y', destination: 'z' }] } }[this.patch];
    const r = await send(real, 'PUT', `${S}/${id}`, body);
    if (this.ref.kind === 'bad' || this.patch === 'badPipe') return expectCode(r, 400, 'invalid_parameter');
    if (!st) return expectCode(r, 404, 'stream_not_found');
    if (ACTIVE.includes(st.state)) return expectCode(r, 409, 'stream_running');
    if (this.patch === 'noNodes' && st.pipes.size) return expectCode(r, 422, 'validation_failed');
    expectCode(r, 200);
    if (this.patch !== 'meta') st.pipes.clear();
    if (this.patch === 'empty' || this.patch === 'noNodes') st.nodes.clear();
  }
  toString = () => `Replace(${JSON.stringify(this.ref)}, ${this.patch})`;
}

class AddNode implements Cmd {
  constructor(readonly ref: Ref, readonly kind: Kind, readonly variant: 'doc' | 'sdk' | 'dup' | 'badId') {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const nodeId = this.variant === 'dup' && st?.nodes.size ? [...st.nodes.keys()][0] : this.variant === 'badId' ? 'xyz' : fresh();
    const node = { id: nodeId, ...EXECUTABLE[this.kind] };
    const r = this.variant === 'sdk' ? await send(real, 'POST', '/instinct/streams/node', { streamId: id, node }) : await send(real, 'POST', `${S}/${id}/nodes`, [node]);
    // Ids are checked before the stream is looked up.
    if (this.ref.kind === 'bad' || this.variant === 'badId') return expectCode(r, 400, 'invalid_parameter');
    if (!st) return expectCode(r, 404, 'stream_not_found');
    if (st.nodes.has(nodeId)) return expectCode(r, 409, 'stream_already_exists');
    expectCode(r, 200);
    st.nodes.set(nodeId, this.kind);
  }
  toString = () => `AddNode(${JSON.stringify(this.ref)}, ${this.kind}, ${this.variant})`;
}

class RemoveNode implements Cmd {
  constructor(readonly ref: Ref, readonly k: number, readonly unknown: boolean, readonly sdk: boolean) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const nodeId = this.unknown || !st ? fresh() : (pick([...st.nodes.keys()], this.k) ?? fresh());
    const r = this.sdk ? await send(real, 'DELETE', `/instinct/streams/node/${id}/${nodeId}`) : await send(real, 'DELETE', `${S}/${id}/nodes`, [nodeId]);
    if (!st) return expectMissing(r, this.ref);
    if (!st.nodes.has(nodeId)) return expectCode(r, 404, 'node_not_found');
    expectCode(r, 200);
    st.nodes.delete(nodeId);
    st.over.delete(nodeId);
    for (const [p, v] of st.pipes) if (v.s === nodeId || v.d === nodeId) st.pipes.delete(p);
  }
  toString = () => `RemoveNode(${JSON.stringify(this.ref)}, ${this.k}, unknown=${this.unknown}, sdk=${this.sdk})`;
}

class AddPipe implements Cmd {
  constructor(readonly ref: Ref, readonly a: number, readonly b: number, readonly variant: 'doc' | 'yaml' | 'sdk' | 'dup' | 'dangling') {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const nodes = st ? [...st.nodes.keys()] : [];
    const s = pick(nodes, this.a) ?? fresh();
    const d = this.variant === 'dangling' ? fresh() : (pick(nodes, this.b) ?? fresh());
    const pipeId = this.variant === 'dup' && st?.pipes.size ? [...st.pipes.keys()][0] : fresh();
    const pipe = { id: pipeId, source: s, destination: d };
    const r =
      this.variant === 'yaml'
        ? await send(real, 'POST', `${S}/${id}/pipes/yaml`, `- id: ${pipeId}\n  source: ${s}\n  destination: ${d}\n`, { 'Content-Type': 'application/yaml' })
        : this.variant === 'sdk'
          ? await send(real, 'POST', '/instinct/streams/pipe', { streamId: id, pipe })
          : await send(real, 'POST', `${S}/${id}/pipes`, [pipe]);
    if (!st) return expectMissing(r, this.ref);
    if (st.pipes.has(pipeId)) return expectCode(r, 409, 'stream_already_exists');
    if (!st.nodes.has(s) || !st.nodes.has(d)) return expectCode(r, 422, 'validation_failed');
    const next: MStream = { ...st, pipes: new Map([...st.pipes, [pipeId, { s, d }]]) };
    if (ACTIVE.includes(st.state) && verdict(next, false) !== 'ok') return expectCode(r, 422, 'validation_failed');
    expectCode(r, 200);
    st.pipes.set(pipeId, { s, d });
    if (ACTIVE.includes(st.state)) real.calls.live++;
  }
  toString = () => `AddPipe(${JSON.stringify(this.ref)}, ${this.a}→${this.b}, ${this.variant})`;
}

class RemovePipe implements Cmd {
  constructor(readonly ref: Ref, readonly k: number, readonly unknown: boolean) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const pipeId = this.unknown || !st ? fresh() : (pick([...st.pipes.keys()], this.k) ?? fresh());
    const r = await send(real, 'DELETE', `${S}/${id}/pipes`, [pipeId]);
    if (!st) return expectMissing(r, this.ref);
    if (!st.pipes.has(pipeId)) return expectCode(r, 404, 'pipe_not_found');
    expectCode(r, 200);
    st.pipes.delete(pipeId);
  }
  toString = () => `RemovePipe(${JSON.stringify(this.ref)}, ${this.k}, unknown=${this.unknown})`;
}

class NodeSignal implements Cmd {
  constructor(readonly ref: Ref, readonly k: number, readonly signal: string) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, st } = resolve(m, this.ref);
    const nodeId = st ? (pick([...st.nodes.keys()], this.k) ?? fresh()) : fresh();
    const r = await send(real, 'POST', `${S}/${id}/nodes/${nodeId}/signal`, `signal=${this.signal}`, { 'Content-Type': 'application/x-www-form-urlencoded' });
    if (this.ref.kind === 'bad') return expectCode(r, 400, 'invalid_parameter');
    if (!['start', 'stop', 'pause', 'resume'].includes(this.signal)) return expectCode(r, 400, 'invalid_signal');
    if (!st) return expectCode(r, 404, 'stream_not_found');
    if (!st.nodes.has(nodeId)) return expectCode(r, 404, 'node_not_found');
    if (!ACTIVE.includes(st.state)) return expectCode(r, 409, 'invalid_state_transition');
    const now = st.over.get(nodeId);
    const view = nodeView(st, nodeId);
    const over = new Map(st.over);
    if (this.signal === 'pause') {
      if (now === 'paused') return expectCode(r, 200);
      if (now === 'stopped' || view === 'created') return expectCode(r, 409, 'invalid_state_transition');
      over.set(nodeId, 'paused');
    } else if (this.signal === 'resume') {
      if (now === undefined) return expectCode(r, 200);
      if (now !== 'paused') return expectCode(r, 409, 'invalid_state_transition');
      over.delete(nodeId);
    } else if (this.signal === 'stop') {
      if (now === 'stopped') return expectCode(r, 200);
      over.set(nodeId, 'stopped');
    } else over.delete(nodeId);
    if (verdict({ ...st, over }, false) !== 'ok') return expectCode(r, 422, 'validation_failed');
    expectCode(r, 200);
    st.over = over;
    real.calls.live++;
  }
  toString = () => `NodeSignal(${JSON.stringify(this.ref)}, ${this.k}, ${this.signal})`;
}

class Malformed implements Cmd {
  constructor(readonly ref: Ref, readonly method: string, readonly sub: string, readonly body: string) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id } = resolve(m, this.ref);
    const body = this.method === 'GET' ? undefined : this.body;
    const r = await send(real, this.method, `/instinct/${this.sub.replace('{id}', id)}`, body, { 'Content-Type': 'application/json' });
    // A GET of a real path reads; every other junk call is refused (and changed nothing: send checked it).
    if (this.method !== 'GET') expect(r.status, r.text).toBeGreaterThanOrEqual(400);
  }
  toString = () => `Malformed(${this.method} ${this.sub} ${JSON.stringify(this.body)})`;
}

const kindArb = fc.constantFrom<Kind>('gen', 'flt', 'flt', 'sink', 'log', 'bad');
/** A stream that runs: generator → filter → sink or logger (so live edits, node signals and pauses get exercised). */
const runnableArb = fc.constantFrom<Kind>('sink', 'log').map((end) => new Create(['gen', 'flt', end], [[0, 1], [1, 2]], 'json'));
const startArb = fc.tuple(refArb, fc.constantFrom<Encoding>('form', 'json', 'sdk')).map(([r, e]) => new Signal(r, 'start', e));
const commandsArb = fc.commands(
  [
    runnableArb,
    runnableArb,
    startArb,
    startArb,
    startArb,
    fc
      .tuple(
        fc.array(kindArb, { minLength: 0, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 4 }),
        fc.constantFrom('json', 'json', 'json', 'yaml', 'sdk', 'badNodeId', 'noId', 'dangling', 'duplicate', 'notJson' as const),
      )
      .map(([k, p, v]) => new Create(k, p, v as Create['variant'])),
    fc.tuple(refArb, fc.boolean()).map(([r, s]) => new Delete(r, s)),
    fc
      .tuple(refArb, fc.constantFrom('start', 'start', 'stop', 'pause', 'resume', 'jump'), fc.constantFrom<Encoding>('form', 'text', 'json', 'query', 'sdk'))
      .map(([r, s, e]) => new Signal(r, s, e)),
    fc.tuple(refArb, fc.constantFrom('meta', 'noPipes', 'empty', 'noNodes', 'badPipe' as const)).map(([r, p]) => new Replace(r, p as Replace['patch'])),
    fc.tuple(refArb, kindArb, fc.constantFrom('doc', 'doc', 'sdk', 'dup', 'badId' as const)).map(([r, k, v]) => new AddNode(r, k, v as AddNode['variant'])),
    fc.tuple(refArb, fc.nat(5), fc.boolean(), fc.boolean()).map(([r, k, u, s]) => new RemoveNode(r, k, u, s)),
    fc
      .tuple(refArb, fc.nat(5), fc.nat(5), fc.constantFrom('doc', 'doc', 'doc', 'yaml', 'sdk', 'dup', 'dangling' as const))
      .map(([r, a, b, v]) => new AddPipe(r, a, b, v as AddPipe['variant'])),
    fc.tuple(refArb, fc.nat(5), fc.boolean()).map(([r, k, u]) => new RemovePipe(r, k, u)),
    fc.tuple(refArb, fc.nat(5), fc.constantFrom('pause', 'resume', 'stop', 'start', 'spin')).map(([r, k, s]) => new NodeSignal(r, k, s)),
    fc
      .tuple(
        refArb,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.constantFrom('stream/streams/{id}/nodes', 'stream/streams/{id}/pipes', 'stream/streams/{id}/signal', 'stream/streams', 'streams/node', 'streams/stream/start', 'streams/pipe', 'stream/streams/{id}/yaml', 'nope'),
        fc.constantFrom('{', '[1,2', '"x"', '[{"id": 3}]', '{"streamId": 5}', 'null', '[]', '{"nodes": "x"}'),
      )
      .map(([r, m, s, b]) => new Malformed(r, m, s, b)),
  ],
  { maxCommands: 60, size: 'large' },
);

describe('Instinct API against a model (fast-check)', () => {
  it('thousands of random calls: no 5xx, envelopes everywhere, rejected calls change nothing, no loop left', async () => {
    const calls = { n: 0, commands: 0, accepted: 0, live: 0 };
    await fc.assert(
      fc.asyncProperty(commandsArb, async (cmds) => {
        const backend = new LocalBackend();
        const real: Real = { app: createApi(backend), calls };
        const model: Model = { streams: new Map(), order: [] };
        try {
          await fc.asyncModelRun(
            () => ({ model, real }),
            [...cmds].map((c) => ({
              check: (m: Readonly<Model>) => c.check(m),
              run: async (m: Model, r: Real) => {
                await c.run(m, r);
                await checkAgainstModel(m, r);
              },
              toString: () => c.toString(),
            })),
          );
        } finally {
          for (const s of (await call(real.app, 'GET', S)).json.streams as { id: string }[]) await call(real.app, 'DELETE', `${S}/${s.id}`);
          expect((await call(real.app, 'GET', S)).json.streams).toEqual([]);
          await backend.dispose();
          expect(backend.activeLoops()).toBe(0);
          expect(backend.sinks.activePorts()).toEqual([]);
        }
      }),
      { numRuns: 120 },
    );
    // eslint-disable-next-line no-console
    console.log(`Instinct model test: ${calls.commands} random calls, ${calls.accepted} accepted, ${calls.live} on running graphs (${calls.n} requests with the state checks)`);
    expect(calls.commands).toBeGreaterThan(2000);
    expect(calls.live).toBeGreaterThan(100);
  }, 300_000);
});

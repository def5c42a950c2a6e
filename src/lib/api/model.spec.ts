// Model-based random test: thousands of NeuroPype API calls in random order (valid, invalid and
// malformed) against a model of executions and their run states. After every call: no crash (never
// a 500), every error in the family envelope with the status of its code, rejected calls leave
// the observable state exactly as it was, and the live executions and their states match the model.
// At the end of each run everything is deleted: no execution and no engine loop may be left.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { createApi } from './index';
import { STATUS_OF_CODE } from './http';
import { LocalBackend } from './local-backend';
import { alphaPyp, call, type Reply } from './testing';

type Status = 'pending' | 'running' | 'paused' | 'stopped' | 'succeeded' | 'failed';

interface MExec {
  loaded: boolean;
  status: Status;
  completed: boolean;
  /** The alpha graph is untouched (ParameterPort "band" still wired into the IIR filter). */
  pristine: boolean;
  /** Legacy "stopped but paused" flag: the status it was set at (it lasts while the status does). */
  pausedAt?: Status;
}

interface Model {
  execs: Map<number, MExec>;
  /** Ids in creation order, so commands can refer to "the k-th live execution". */
  order: number[];
}

interface Real {
  app: Hono;
  backend: LocalBackend;
  calls: { n: number; commands: number };
}

const EXTRA_CODES: Record<string, number> = { NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, PAYLOAD_TOO_LARGE: 413 };
const ACTIVE: Status[] = ['running', 'paused'];

/** Execution id for a reference: an index into the live ones, or an id that does not exist. */
type Ref = { kind: 'live'; k: number } | { kind: 'bogus'; id: string };
const refArb: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(20).map((k) => ({ kind: 'live' as const, k })) },
  { weight: 1, arbitrary: fc.constantFrom('9999x', 'abc', '0', '123456', '-1', '%20').map((id) => ({ kind: 'bogus' as const, id })) },
);

function resolve(m: Model, r: Ref): { id: string; exec?: MExec; num?: number } {
  if (r.kind === 'bogus' || m.order.length === 0) return { id: r.kind === 'bogus' ? r.id : '4242' };
  const num = m.order[r.k % m.order.length];
  return { id: String(num), exec: m.execs.get(num), num };
}

async function snapshot(real: Real): Promise<string> {
  const list = (await call(real.app, 'GET', '/np/executions')).json as { id: number }[];
  const details = [];
  for (const e of list) details.push((await call(real.app, 'GET', `/np/executions/${e.id}`)).json);
  real.calls.n += 1 + list.length;
  return JSON.stringify({ list, details });
}

/** Send one request; check the envelope; return the reply and whether state had to stay unchanged. */
async function send(real: Real, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
  const before = await snapshot(real);
  const r = await call(real.app, method, path, body, headers);
  real.calls.n++;
  real.calls.commands++;
  expect(r.status, `${method} ${path} → ${r.text}`).not.toBe(500);
  expect(r.headers.get('x-request-id')).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(r.headers.get('cache-control')).toBe('no-store');
  if (r.status >= 400) {
    expect(r.json, `${method} ${path}`).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
    const code = r.json.error.code as string;
    expect(STATUS_OF_CODE[code as keyof typeof STATUS_OF_CODE] ?? EXTRA_CODES[code], `${code} for ${method} ${path}`).toBe(r.status);
    expect(await snapshot(real), `state changed by rejected ${method} ${path}: ${r.text}`).toBe(before);
  }
  return r;
}

async function checkAgainstModel(m: Model, real: Real): Promise<void> {
  const list = (await call(real.app, 'GET', '/np/executions')).json as { id: number; state?: { status: string; completed: boolean } }[];
  real.calls.n++;
  expect(list.map((e) => e.id).sort()).toEqual([...m.execs.keys()].sort());
  for (const e of list) {
    const me = m.execs.get(e.id)!;
    expect(e.state !== undefined, `loaded flag of ${e.id}`).toBe(me.loaded);
    if (e.state) {
      expect(e.state.status, `status of ${e.id}`).toBe(me.status);
      expect(e.state.completed, `completed of ${e.id}`).toBe(me.completed);
    }
  }
}

function expectStatus(r: Reply, status: number, code?: string): void {
  expect(r.status, r.text).toBe(status);
  if (code) expect(r.json.error.code).toBe(code);
}

// ------------------------------------------------------------------------------------ commands

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(readonly info: unknown) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const valid =
      this.info === undefined ||
      (typeof this.info === 'object' && this.info !== null && (this.info as { tickrate?: number }).tickrate !== 0 && (this.info as { error_mode?: string }).error_mode !== 'nope');
    const r = await send(real, 'POST', '/np/executions', this.info === undefined ? undefined : { info: this.info });
    if (!valid) return expectStatus(r, 400, 'INVALID_INFO');
    if (m.execs.size >= 6) return expectStatus(r, 429, 'EXECUTION_LIMIT');
    expectStatus(r, 200);
    expect(m.execs.has(r.json.id)).toBe(false);
    m.execs.set(r.json.id, { loaded: false, status: 'pending', completed: false, pristine: false });
    m.order.push(r.json.id);
  }
  toString = () => `Create(${JSON.stringify(this.info)})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ref: Ref) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec, num } = resolve(m, this.ref);
    const r = await send(real, 'DELETE', `/np/executions/${id}`);
    if (!exec) return expectStatus(r, 404, 'EXECUTION_NOT_FOUND');
    expect(r.text).toBe('""');
    m.execs.delete(num!);
    m.order = m.order.filter((x) => x !== num);
  }
  toString = () => `Delete(${JSON.stringify(this.ref)})`;
}

const LOADS = {
  alpha: { body: { file: 'C:/pipelines/alpha.pyp' }, status: 200, code: undefined },
  inline: { body: { content: alphaPyp() }, status: 200, code: undefined },
  unsupported: { body: { content: alphaPyp({ extraClass: ['NoSuchNodeClass'] }) }, status: 422, code: 'UNSUPPORTED_NODE_CLASS' },
  broken: { body: { content: '<scheme><patch>{"nodes": </patch></scheme>' }, status: 422, code: 'PIPELINE_PARSE_ERROR' },
  badValue: { body: { content: alphaPyp({ frequencies: [1, 2, 3] }) }, status: 422, code: 'PIPELINE_PARSE_ERROR' },
  encrypted: { body: { content: 'gAAAAAB' + 'q'.repeat(90) }, status: 422, code: 'ENCRYPTED_PIPELINE_UNSUPPORTED' },
  missing: { body: { file: 'nowhere.pyp' }, status: 404, code: 'FILE_NOT_FOUND' },
  empty: { body: {}, status: 400, code: 'BAD_REQUEST' },
  badWhat: { body: { file: 'alpha.pyp', what: 'everything' }, status: 400, code: 'BAD_REQUEST' },
} as const;

class Load implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly which: keyof typeof LOADS,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const spec = LOADS[this.which];
    const r = await send(real, 'POST', `/np/executions/${id}/actions/load`, spec.body);
    if (!exec) return expect([400, 404]).toContain(r.status); // malformed ids → 404 first; bodies are checked before the lookup
    expectStatus(r, spec.status, spec.code);
    if (r.status === 200) Object.assign(exec, { loaded: true, status: 'pending', completed: false, pristine: true, pausedAt: undefined });
  }
  toString = () => `Load(${JSON.stringify(this.ref)}, ${this.which})`;
}

type Action = 'play' | 'pause' | 'resume' | 'stop' | 'keepalive' | 'reload';
class Control implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly action: Action,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const r = await send(real, 'POST', `/np/executions/${id}/actions/${this.action}`);
    if (!exec) return expectStatus(r, 404, 'EXECUTION_NOT_FOUND');
    const s = exec.status;
    if (r.status === 200 && this.action !== 'keepalive' && !(this.action === 'stop' && !ACTIVE.includes(s))) exec.pausedAt = undefined;
    switch (this.action) {
      case 'play':
        if (!exec.loaded) return expectStatus(r, 409, 'NO_PIPELINE_LOADED');
        expectStatus(r, 200);
        if (s !== 'paused' && s !== 'running') exec.completed = false;
        exec.status = 'running';
        return;
      case 'pause':
        if (!ACTIVE.includes(s)) return expectStatus(r, 409, 'INVALID_STATE_TRANSITION');
        expectStatus(r, 200);
        exec.status = 'paused';
        return;
      case 'resume':
        if (!ACTIVE.includes(s)) return expectStatus(r, 409, 'INVALID_STATE_TRANSITION');
        expectStatus(r, 200);
        exec.status = 'running';
        return;
      case 'stop':
        expectStatus(r, 200);
        if (ACTIVE.includes(s)) exec.status = 'stopped';
        return;
      case 'keepalive':
        return expectStatus(r, 200);
      case 'reload':
        if (!exec.loaded) return expectStatus(r, 409, 'NO_PIPELINE_LOADED');
        // Reload works only when the graph came from the store (Load "alpha"); inline content has no file.
        if (r.status === 409) return expectStatus(r, 409, 'NO_PIPELINE_LOADED');
        expectStatus(r, 200);
        Object.assign(exec, { status: 'pending', completed: false, pristine: true });
        return;
    }
  }
  toString = () => `Control(${JSON.stringify(this.ref)}, ${this.action})`;
}

class PatchState implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly body: Record<string, unknown>,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const r = await send(real, 'PATCH', `/np/executions/${id}/state`, this.body);
    const b = this.body;
    const bad = ['running', 'paused', 'completed'].some((k) => b[k] !== undefined && typeof b[k] !== 'boolean');
    if (!exec) return expect(bad ? [400, 404] : [404]).toContain(r.status);
    if (bad) return expectStatus(r, 400, 'BAD_REQUEST');
    if (b.running === true && !exec.loaded) return expectStatus(r, 409, 'NO_PIPELINE_LOADED');
    expectStatus(r, 200);
    const pausedAt = exec.pausedAt;
    exec.pausedAt = undefined;
    if (b.completed === true && exec.loaded) Object.assign(exec, { status: 'succeeded', completed: true });
    if (b.running === true && !ACTIVE.includes(exec.status)) {
      const wasPaused = exec.status === 'pending' || pausedAt === exec.status;
      exec.status = wasPaused && b.paused === undefined ? 'paused' : 'running';
      exec.completed = false;
    } else if (b.running === false && ACTIVE.includes(exec.status)) exec.status = 'stopped';
    if (b.paused === true && exec.status === 'running') exec.status = 'paused';
    else if (b.paused === false && exec.status === 'paused') exec.status = 'running';
    if (b.completed === false && exec.loaded) exec.completed = false; // legacy: clear the flag
    if (exec.loaded && !ACTIVE.includes(exec.status)) {
      let keep = pausedAt === exec.status;
      if (b.paused === true && exec.status !== 'pending') keep = true;
      if (b.paused === false) keep = false;
      exec.pausedAt = keep ? exec.status : undefined;
    }
    expect(r.json.status).toBe(exec.status);
    expect(r.json.paused).toBe(exec.status === 'paused' || exec.status === 'pending' || exec.pausedAt === exec.status);
  }
  toString = () => `PatchState(${JSON.stringify(this.ref)}, ${JSON.stringify(this.body)})`;
}

class Configure implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly body: Record<string, unknown>,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const r = await send(real, 'POST', `/np/executions/${id}/actions/configure`, this.body);
    if (!exec) return expectStatus(r, 404, 'EXECUTION_NOT_FOUND');
    if (!exec.loaded) return expectStatus(r, 409, 'NO_PIPELINE_LOADED');
    const invalid = 'band' in this.body && !(Array.isArray(this.body.band) && [1, 2, 4].includes(this.body.band.length));
    // After graph edits the band port may be unwired or the filter mode changed: either answer is right.
    if (!exec.pristine) return expect([200, 422]).toContain(r.status);
    if (!invalid) return expectStatus(r, 200);
    expectStatus(r, 422, 'INVALID_PARAMETER_VALUE');
  }
  toString = () => `Configure(${JSON.stringify(this.ref)}, ${JSON.stringify(this.body)})`;
}

/** Graph edits: exact answers are checked in the endpoint spec; here only envelope and atomicity. */
class GraphEdit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly op: { method: string; sub: string; body?: unknown },
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const r = await send(real, this.op.method, `/np/executions/${id}/graph${this.op.sub}`, this.op.body);
    if (!exec) return expect([400, 404, 405]).toContain(r.status); // 405: PUT on …/parameters/{p} (only PATCH there)
    if (r.status < 300 && this.op.method !== 'GET') {
      exec.pristine = false;
      // Adding a node or describing the graph creates an empty graph on an empty execution.
      if (!exec.loaded && (this.op.sub === '/nodes' || this.op.sub === '/description')) exec.loaded = true;
    }
  }
  toString = () => `GraphEdit(${JSON.stringify(this.ref)}, ${JSON.stringify(this.op).slice(0, 120)})`;
}

/** Requests that must fail: garbage bodies, wrong methods, unknown paths, oversized bodies, bad query values. */
class Malformed implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: Ref,
    readonly kind: number,
    readonly junk: string,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { id, exec } = resolve(m, this.ref);
    const cases: [string, string, unknown, number[]][] = [
      ['POST', '/np/executions', `{"info": ${this.junk}`, [400]],
      ['POST', `/np/executions/${id}/actions/configure`, '{' + this.junk, exec ? [400] : [404, 400]],
      ['PATCH', `/np/executions/${id}/state`, `[${this.junk}`, exec ? [400] : [404, 400]],
      ['PUT', '/np/executions', '{}', [405]],
      ['DELETE', `/np/executions/${id}/state`, undefined, [405]],
      ['GET', `/np/executions/${id}/logs?from_idx=${encodeURIComponent(this.junk)}x`, undefined, exec ? [400] : [404, 400]],
      ['GET', `/np/${encodeURIComponent(this.junk)}x/nothing`, undefined, [404]],
      ['POST', `/np/executions/${id}/actions/load`, JSON.stringify({ content: 'x'.repeat(4 * 1024 * 1024 + 10) }), exec ? [413] : [404, 413]],
      ['PATCH', `/np/executions/${id}/info`, '{}', exec ? [405] : [404]],
      ['POST', `/np/executions/${id}/graph/edges`, { source_node: this.junk, target_node: 1 }, exec ? [400] : [404, 400]],
    ];
    const [method, path, body, statuses] = cases[this.kind % cases.length];
    const r = await send(real, method, path, body);
    expect(statuses, `${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
  }
  toString = () => `Malformed(${JSON.stringify(this.ref)}, ${this.kind}, ${JSON.stringify(this.junk)})`;
}

// ------------------------------------------------------------------------------------ arbitraries

const junkArb = fc.constantFrom('', '{', ']', 'nul', "'single'", '{"a":}', 'tru', 'NaN NaN', '"unterminated', '01', '[1,,2]');
const nodeClassArb = fc.constantFrom('IIRFilter', 'InspectData', 'ParameterPort', 'LSLInput', 'RecordToXDF', 'no.such', 'filter.iir');

const commandsArb = fc.commands(
  [
    fc.oneof(fc.constant(undefined), fc.constant({}), fc.constant({ tickrate: 50 }), fc.constant({ tickrate: 0 }), fc.constant({ error_mode: 'nope' })).map((i) => new Create(i)),
    refArb.map((r) => new Delete(r)),
    fc.tuple(refArb, fc.constantFrom(...(Object.keys(LOADS) as (keyof typeof LOADS)[]))).map(([r, w]) => new Load(r, w)),
    fc.tuple(refArb, fc.constantFrom<Action>('play', 'pause', 'resume', 'stop', 'keepalive', 'reload')).map(([r, a]) => new Control(r, a)),
    fc
      .tuple(
        refArb,
        fc.record(
          { running: fc.oneof(fc.boolean(), fc.constant('yes')), paused: fc.boolean(), completed: fc.boolean(), status: fc.constant('bogus') },
          { requiredKeys: [] },
        ),
      )
      .map(([r, b]) => new PatchState(r, b)),
    fc
      .tuple(refArb, fc.oneof(fc.constant({ band: [1, 2, 30, 35] }), fc.constant({ band: 'wide' }), fc.constant({ subject: 'P1' }), fc.constant({ band: [8, 12], other: 1 })))
      .map(([r, b]) => new Configure(r, b)),
    fc
      .tuple(
        refArb,
        fc.oneof(
          fc.record({ method: fc.constant('POST'), sub: fc.constant('/nodes'), body: fc.record({ type: nodeClassArb, parameters: fc.constantFrom({}, { order: 2 }, { order: 99 }, { nope: 1 }) }) }),
          fc.record({ method: fc.constant('DELETE'), sub: fc.nat(8).map((n) => `/nodes/${n}`) }),
          fc.record({
            method: fc.constant('POST'),
            sub: fc.constant('/edges'),
            body: fc.record({ source_node: fc.nat(7), source_port: fc.constantFrom('data', 'value', 'frequencies', 'zz'), target_node: fc.nat(7), target_port: fc.constantFrom('data', 'frequencies', 'value') }),
          }),
          fc.record({ method: fc.constant('DELETE'), sub: fc.nat(6).map((n) => `/edges/${n}`) }),
          fc.record({
            method: fc.constantFrom('PATCH', 'PUT'),
            sub: fc.tuple(fc.nat(6), fc.constantFrom('order', 'mode', 'value', 'default', 'nope')).map(([n, p]) => `/nodes/${n}/parameters/${p}`),
            body: fc.constantFrom({ value: 3 }, { value: 'bandstop' }, { value: [1, 2] }, { id: 'x' }),
          }),
          fc.record({
            method: fc.constant('PUT'),
            sub: fc.tuple(fc.nat(6), fc.constantFrom('order', 'mode', 'default')).map(([n, p]) => `/nodes/${n}/parameters/${p}/value`),
            body: fc.constantFrom('4', '"lowpass"', '[1,2,3]', 'null', '{'),
          }),
          fc.record({ method: fc.constant('PUT'), sub: fc.constant('/description'), body: fc.constantFrom({ name: 'n' }, { name: 1 }, { other: 'x' }) }),
        ),
      )
      .map(([r, op]) => new GraphEdit(r, op)),
    fc.tuple(refArb, fc.nat(100), junkArb).map(([r, k, j]) => new Malformed(r, k, j)),
  ],
  { maxCommands: 60, size: 'large' },
);

describe('NeuroPype API against a model (fast-check)', () => {
  it('thousands of random calls: no crash, envelopes everywhere, rejected calls change nothing, no leaks', async () => {
    const calls = { n: 0, commands: 0 };
    await fc.assert(
      fc.asyncProperty(commandsArb, async (cmds) => {
        const backend = new LocalBackend({ executionLimit: 6 });
        const app = createApi(backend);
        await backend.writePipeline('pipelines/alpha.pyp', alphaPyp());
        const real: Real = { app, backend, calls };
        const model: Model = { execs: new Map(), order: [] };
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
          for (const e of (await call(app, 'GET', '/np/executions')).json as { id: number }[]) await call(app, 'DELETE', `/np/executions/${e.id}`);
          expect((await call(app, 'GET', '/np/executions')).json).toEqual([]);
          await backend.settle();
          expect(backend.activeLoops()).toBe(0);
          await backend.dispose();
        }
      }),
      { numRuns: 80 },
    );
    // eslint-disable-next-line no-console
    console.log(`model test: ${calls.commands} random calls (${calls.n} requests with the state checks)`);
    expect(calls.commands).toBeGreaterThan(2000);
  });
});

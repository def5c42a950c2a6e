// The deployment card's state machine (what the Training page shows for a deployed model) and the
// reasons a ModelDeployment reports when it ends, driven by engine-worker events through a fake
// acquisition (the engine worker itself is exercised by tests/e2e/training.test.ts); the list of
// ExperimentHub API experiments, asked of the real router.
import { describe, expect, it } from 'vitest';
import type { ModelPredictPeek } from '../engine/nodes/model';
import type { Acquisition } from './acquisition';
import type { EngineEvent, EngineRequest } from '../../../workers/protocol';
import { deploymentCardState, listApiExperiments, ModelDeployment, type DeploymentStopReason, type DeploymentView } from './training';
import { createApi, hubBackend } from '../api/index';
import type { Backend } from '../api/backend';
import { ExperimentHub } from '../ml/experiments/hub';

const peek = (predictions: number, error: string | null = null): ModelPredictPeek =>
  ({ kind: 'predictions', predictions, error, classNames: ['a', 'b'], latest: null, history: [] }) as unknown as ModelPredictPeek;
const view = (patch: Partial<DeploymentView>): DeploymentView => ({ name: 'm', runId: 'r', status: 'running', peek: null, error: null, framesIn: 0, stopReason: null, ...patch });

describe('deploymentCardState', () => {
  it('shows one state at a time, matching what runs', () => {
    expect(deploymentCardState(view({ status: 'starting' }))).toBe('starting');
    expect(deploymentCardState(view({ peek: peek(0) }))).toBe('warming');
    expect(deploymentCardState(view({ peek: null }))).toBe('warming');
    expect(deploymentCardState(view({ peek: peek(3) }))).toBe('predicting');
    // running but every window refused: never "predicting", whatever was predicted before
    expect(deploymentCardState(view({ peek: peek(3, 'x'), error: 'x' }))).toBe('not-predicting');
    expect(deploymentCardState(view({ status: 'failed', error: 'runs at 250 Hz' }))).toBe('failed');
    expect(deploymentCardState(view({ status: 'stopped', stopReason: 'user', peek: peek(9) }))).toBe('stopped');
    expect(deploymentCardState(view({ status: 'stopped', stopReason: 'stream', peek: peek(9) }))).toBe('stream-stopped');
  });
});

/** An acquisition whose engine worker is the test: records requests, lets the test post events. */
function fakeAcquisition(streaming = true) {
  const listeners = new Set<(e: EngineEvent) => void>();
  const sent: EngineRequest[] = [];
  const acq = {
    sendToEngine: (m: EngineRequest) => (streaming ? (sent.push(m), true) : false),
    onEngineEvent: (l: (e: EngineEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
  } as unknown as Acquisition;
  return { acq, sent, emit: (e: EngineEvent) => listeners.forEach((l) => l(e)) };
}

function deploy(acq: Acquisition) {
  const log: string[] = [];
  let reason: DeploymentStopReason | null = null;
  const dep = new ModelDeployment(acq, 'run-1', 'eyes', {
    onStarted: () => log.push('started'),
    onPredictions: (p) => log.push(`predictions ${p.predictions}`),
    onError: (m) => log.push(`error ${m}`),
    onStopped: (r) => {
      reason = r;
      log.push(`stopped ${r}`);
    },
  });
  return { dep, log, reason: () => reason };
}

describe('ModelDeployment end reasons', () => {
  it('Stop pressed → "user"; the deployment pipeline names the saved run', () => {
    const f = fakeAcquisition();
    const d = deploy(f.acq);
    const req = f.sent[0] as Extract<EngineRequest, { type: 'deploy-model' }>;
    expect(req.type).toBe('deploy-model');
    expect(JSON.stringify(req.doc)).toContain('"model_id":"run-1"');
    f.emit({ type: 'deployment-started', deployId: d.dep.deployId });
    f.emit({ type: 'deployment-report', deployId: d.dep.deployId, report: { state: {} as never, metrics: [], logs: [], predictions: { predict: peek(2) }, framesIn: 10 } });
    d.dep.stop();
    expect(f.sent[1]).toEqual({ type: 'stop-deployment', deployId: d.dep.deployId });
    f.emit({ type: 'deployment-stopped', deployId: d.dep.deployId });
    expect(d.log).toEqual(['started', 'predictions 2', 'stopped user']);
    expect(d.dep.active).toBe(false);
  });

  it('the stream stops under it → "stream"; a newer deployment → "replaced"; an engine refusal → error, then ended', () => {
    const f = fakeAcquisition();
    const a = deploy(f.acq);
    f.emit({ type: 'deployment-started', deployId: a.dep.deployId });
    f.emit({ type: 'stopped' });
    expect(a.reason()).toBe('stream');

    const b = deploy(f.acq);
    f.emit({ type: 'deployment-started', deployId: b.dep.deployId });
    const c = deploy(f.acq);
    f.emit({ type: 'deployment-started', deployId: c.dep.deployId });
    expect(b.reason()).toBe('replaced');
    expect(c.dep.active).toBe(true);

    f.emit({ type: 'deployment-error', deployId: c.dep.deployId, message: 'stream "Synthetic EEG" runs at 250 Hz' });
    expect(c.log).toEqual(['started', 'error stream "Synthetic EEG" runs at 250 Hz', 'stopped failed']);
    expect(c.dep.active).toBe(false);
  });

  it('no stream running: refused at once with what to do', () => {
    expect(() => deploy(fakeAcquisition(false).acq)).toThrow(/no stream is running: start the synthetic device/);
  });
});

describe('listApiExperiments (the Training page’s list of ExperimentHub API experiments)', () => {
  it('lists them from the real router, with why one has no model and how to send it data', async () => {
    const hub = new ExperimentHub();
    const api = createApi({} as Backend, { experiments: hubBackend(hub) });
    const send = (path: string, init?: RequestInit) => Promise.resolve(api.request(path, init));
    expect(await listApiExperiments(send)).toEqual([]);
    const json = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ setup: { target: 'value', ds: 'ds' } }) };
    await send('/exphub/create_experiment/fresh/time_series', json);
    await send('/exphub/create_experiment/my_experiment/time_series', json);
    await send('/exphub/my_experiment/train', json);
    await hub.idle('my_experiment');
    const [fresh, mine] = await listApiExperiments(send);
    expect(fresh).toMatchObject({ name: 'fresh', type: 'time_series', available: false, training: false, plots: [], queue_depth: 0 });
    expect(fresh.reason).toMatch(/^fresh has not been trained and its queue is empty\. Send its data first: POST a DataFrame .* to \/exphub\/publish\/fresh /);
    expect(mine.last_error).toMatch(/^no data to learn from: the queue "my_experiment" is empty\. POST a DataFrame/);
    expect(mine.reason).toBe(`the last training of my_experiment failed: ${mine.last_error}`);
  });

  it('says what the API answered when it cannot list them', async () => {
    const api = createApi({} as Backend);
    await expect(listApiExperiments((path) => Promise.resolve(api.request(path)))).rejects.toThrow('the ExperimentHub API answered 503: Engine unavailable');
  });
});

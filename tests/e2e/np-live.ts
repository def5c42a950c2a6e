// A NeuroPype execution on the live stream, driven from a page with fetch() through the service
// worker: stream input (LSLInput, type='EEG') → band-pass → stream output. Shared by e2e tests.
import type { Page } from 'playwright-core';

const pipeline = JSON.stringify({
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'live alpha', description: 'stream input → band-pass → out' },
  nodes: [
    { id: 'in', type: 'io.stream-input', params: { query: "type='EEG'" } },
    { id: 'bp', type: 'filter.iir', params: { frequencies: [8, 12], mode: 'bandpass', order: 4 } },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'alpha' } },
  ],
  edges: [
    { source: 'in', target: 'bp' },
    { source: 'bp', target: 'out' },
  ],
});

/** Creates, loads and plays the pipeline through the service worker, then returns its state and logs (and deletes it). */
export async function runLiveExecution(page: Page): Promise<{ state: { running: boolean; had_errors: boolean }; logs: { level: number; message: string }[] }> {
  return page.evaluate(async (content) => {
    const j = async (r: Response) => ({ status: r.status, body: await r.json() });
    const post = (path: string, body?: unknown) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(j);
    const created = await post('/np/executions', {});
    const id = created.body.id;
    const loaded = await post(`/np/executions/${id}/actions/load`, { content });
    if (loaded.status >= 300) throw new Error(`load failed: ${JSON.stringify(loaded.body)}`);
    await post(`/np/executions/${id}/actions/play`);
    await new Promise((r) => setTimeout(r, 1500));
    const state = (await fetch(`/np/executions/${id}/state`).then(j)).body;
    const logs = (await fetch(`/np/executions/${id}/logs?from_idx=0`).then(j)).body;
    await fetch(`/np/executions/${id}`, { method: 'DELETE' });
    return { state, logs };
  }, pipeline);
}

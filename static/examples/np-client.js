// The whole client of np-client.html: a NeuroPype session driven with fetch() (or apiFetch() from
// /neurotab-api.js) from a page of this origin. A file of its own, not inline, because the origin's
// Content-Security-Policy runs scripts from files only.
import { apiFetch } from '/neurotab-api.js';

// Base URL of the NeuroPype family on this origin (NeuroPype itself: http://127.0.0.1:6937).
const NP = '/np';

// A small pipeline in NeuroPype's own patch format (the JSON inside a .pyp's <patch>):
// LSL Input → IIR Filter (alpha band) → Inspect Data, and a ParameterPort named "band"
// wired to the filter's frequencies so that /actions/configure can change it.
const PIPELINE = {
  description: { name: 'Alpha filter (example)', description: 'Band-pass the EEG to the alpha band', license: '', status: '(unspecified)', url: '', version: '0.0.0' },
  edges: [
    ['node1', 'data', 'node2', 'data'],
    ['node2', 'data', 'node3', 'data'],
    ['node4', 'value', 'node2', 'frequencies'],
  ],
  nodes: {
    node1: { class: 'LSLInput', module: 'neuropype.nodes.network.LSLInput', params: { query: { customized: true, type: 'StringPort', value: "type='EEG'" } } },
    node2: {
      class: 'IIRFilter',
      module: 'neuropype.nodes.signal_processing.IIRFilter',
      params: { frequencies: { customized: true, type: 'ListPort', value: [7, 8, 12, 13] }, mode: { customized: false, type: 'EnumPort', value: 'bandpass' } },
    },
    node3: { class: 'InspectData', module: 'neuropype.nodes.visualization.InspectData', params: {} },
    node4: { class: 'ParameterPort', module: 'neuropype.nodes.workflow.ParameterPort', params: { portname: { customized: true, type: 'StringPort', value: 'band' } } },
  },
  version: 1.1,
};

const out = document.getElementById('log');
const button = document.getElementById('run');
const transport = document.getElementById('transport');
// Both take the same arguments and return a Response; pick one.
const send = (url, init) => (transport.value === 'message' ? apiFetch(url, init) : fetch(url, init));
const LEVELS = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' };

function print(text, cls) {
  const line = document.createElement('span');
  if (cls) line.className = cls;
  line.textContent = text + '\n';
  out.append(line);
}

/** One API call: prints it, returns the parsed body, throws on an error status. */
async function np(method, path, body) {
  // (pipeline text is summarised in the printout, sent in full)
  const shown = body === undefined ? '' : ' ' + JSON.stringify(body, (k, v) => (k === 'content' ? `<${v.length} characters of pipeline text>` : v));
  print(`→ ${method} ${NP}${path}${shown}`, 'req');
  const t0 = performance.now();
  const res = await send(NP + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text === '' ? undefined : JSON.parse(text);
  const ms = (performance.now() - t0).toFixed(1);
  print(`← ${res.status} (${ms} ms) ${text.length > 300 ? text.slice(0, 300) + '…' : text}`, res.ok ? 'ok' : 'err');
  if (!res.ok) throw new Error(data?.error?.message ?? `HTTP ${res.status}`);
  return data;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function session() {
  out.textContent = '';
  document.body.dataset.done = '';
  let id;
  try {
    await np('GET', '/version');
    // 1. Create an execution (info defaults: log_level 20, error_mode 'ignore', tickrate 25).
    ({ id } = await np('POST', '/executions', { info: { tickrate: 25 } }));
    // 2. Load the pipeline. NeuroPype takes {"file": "<path>"}; in the browser `file` names an
    //    entry of the pipeline store, and `content` passes the pipeline text inline.
    await np('POST', `/executions/${id}/actions/load`, { content: JSON.stringify(PIPELINE) });
    // 3. Set the ParameterPort "band" (allowed before play and while running).
    await np('POST', `/executions/${id}/actions/configure`, { band: [8, 9, 11, 12] });
    // 4. Play, then watch the state and follow the logs with from_idx, like NeuroPype's exec.py.
    await np('POST', `/executions/${id}/actions/play`);
    let next = 0;
    for (let i = 0; i < 3; i++) {
      const state = await np('GET', `/executions/${id}/state`);
      const logs = await np('GET', `/executions/${id}/logs?from_idx=${next}`);
      for (const rec of logs) {
        print(`   ${LEVELS[rec.level] ?? rec.level}: ${rec.message}`, 'note');
        next = Math.max(next, rec.id + 1);
      }
      if (!state.running || state.completed) break;
      await sleep(500);
    }
    // 5. Stop (the graph is kept and could be played again), then delete the execution.
    await np('POST', `/executions/${id}/actions/stop`);
    await np('GET', `/executions/${id}/state`);
    await np('DELETE', `/executions/${id}`);
    id = undefined;
    const left = await np('GET', '/executions');
    print(`Session complete; ${left.length} execution(s) left.`, 'ok');
    document.body.dataset.done = 'ok';
  } catch (e) {
    print(`Failed: ${e.message}`, 'err');
    if (id !== undefined) await send(`${NP}/executions/${id}`, { method: 'DELETE' }).catch(() => {});
    document.body.dataset.done = 'failed';
  }
}

button.addEventListener('click', async () => {
  button.disabled = true;
  try {
    await session();
  } finally {
    button.disabled = false;
  }
});

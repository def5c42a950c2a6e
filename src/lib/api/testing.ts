// Test helpers for the API layer: a request helper over `app.request()`, a clock-driven signal
// reader that stands in for a device ring (returns only the frames due by now, like a ring
// reader that has caught up), and the .pyp text used by the specs. Used by *.spec.ts and benches only.

import type { Hono } from 'hono';
import type { StreamDescriptor } from '../core/stream';
import type { StreamInputBinding } from '../engine/index';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body (undefined when empty or not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Call the app; `body` objects are JSON-encoded, strings sent as they are. */
export async function call(app: Hono, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  if (body !== undefined && typeof body !== 'string' && !headers['Content-Type']) (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  const res = await app.request(path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Reads a text/event-stream response until `stop` holds for what arrived (or it ends), then cancels it (`keepOpen`: leaves it for more reads). */
export async function readSse(res: Response, stop: (text: string) => boolean, opts: { keepOpen?: boolean } = {}): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!stop(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  if (opts.keepOpen) reader.releaseLock();
  else await reader.cancel();
  return text;
}

/**
 * A reader that produces a sine per channel at `sampleRateHz`, delivering exactly the frames
 * whose time has come (performance.now()), so the online loop sleeps between chunks.
 */
export function sineBinding(sampleRateHz = 250, channels = 4, freqHz = 10): StreamInputBinding {
  const descriptor: StreamDescriptor = {
    id: 'synthetic-eeg',
    name: 'Synthetic EEG',
    kind: 'eeg',
    sampleRateHz,
    channels: Array.from({ length: channels }, (_, i) => ({ label: `Ch${i + 1}`, unit: 'uV', type: 'EEG' })),
  };
  const t0 = performance.now();
  const wall0 = Date.now();
  let emitted = 0;
  return {
    descriptor,
    reader: {
      read(maxFrames, out, ts) {
        const due = Math.floor(((performance.now() - t0) * sampleRateHz) / 1000);
        const n = Math.max(0, Math.min(maxFrames, due - emitted));
        for (let f = 0; f < n; f++) {
          const k = emitted + f;
          const t = k / sampleRateHz;
          for (let c = 0; c < channels; c++) out[f * channels + c] = 10 * Math.sin(2 * Math.PI * freqHz * t + c);
          ts[f] = wall0 + t * 1000;
        }
        emitted += n;
        return { frames: n, dropped: 0 };
      },
    },
  };
}

/** A .pyp (G2 layout) with LSLInput → IIRFilter → InspectData and a ParameterPort "band" → IIRFilter.frequencies. */
export function alphaPyp(opts: { frequencies?: number[]; extraClass?: string[] } = {}): string {
  const freqs = JSON.stringify(opts.frequencies ?? [7, 8, 12, 13]);
  const extra = (opts.extraClass ?? [])
    .map(
      (cls, k) => `,
        "node${5 + k}": {"class": "${cls}", "module": "neuropype.nodes.unknown.${cls}", "params": {}, "uuid": "00000000-0000-4000-8000-00000000000${k}"}`,
    )
    .join('');
  return `<?xml version='1.0' encoding='utf-8'?>
<scheme description="" title="alpha" version="2.0">
\t<nodes>
\t\t<node id="0" name="LSL Input" position="(100, 100)" project_name="NeuroPype" qualified_name="widgets.network.owlslinput.OWLSLInput" title="LSL Input" uuid="5a9295ab-be0a-4ad0-bc80-0c99afe1f616" version="1.3.6" />
\t\t<node id="1" name="IIR Filter" position="(300, 100)" project_name="NeuroPype" qualified_name="widgets.signal_processing.owiirfilter.OWIIRFilter" title="IIR Filter" uuid="b4ec7900-456d-40d1-a0ec-de5824f946a4" version="1.1.0" />
\t\t<node id="2" name="Inspect Data" position="(500, 100)" project_name="NeuroPype" qualified_name="widgets.visualization.owinspectdata.OWInspectData" title="Inspect Data" uuid="0c6f2d1e-8b7a-4c55-9a61-2f3e4d5c6b7a" version="1.0.0" />
\t\t<node id="3" name="Parameter Port" position="(300, 300)" project_name="NeuroPype" qualified_name="widgets.workflow.owparameterport.OWParameterPort" title="Band" uuid="9e1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" version="1.0.0" />
\t</nodes>
\t<links />
\t<annotations />
\t<thumbnail />
\t<node_properties />
\t<patch>{
    "description": {"description": "Alpha band filter", "license": "", "name": "Alpha", "status": "(unspecified)", "url": "", "version": "0.0.0"},
    "edges": [["node1", "data", "node2", "data"], ["node2", "data", "node3", "data"], ["node4", "value", "node2", "frequencies"]],
    "nodes": {
        "node1": {"class": "LSLInput", "module": "neuropype.nodes.network.LSLInput", "params": {"query": {"customized": true, "type": "StringPort", "value": "type='EEG'"}, "nominal_rate": {"customized": false, "type": "FloatPort", "value": NaN}}, "uuid": "5a9295ab-be0a-4ad0-bc80-0c99afe1f616"},
        "node2": {"class": "IIRFilter", "module": "neuropype.nodes.signal_processing.IIRFilter", "params": {"frequencies": {"customized": true, "type": "ListPort", "value": ${freqs}}, "mode": {"customized": false, "type": "EnumPort", "value": "bandpass"}, "order": {"customized": false, "type": "IntPort", "value": null}}, "uuid": "b4ec7900-456d-40d1-a0ec-de5824f946a4"},
        "node3": {"class": "InspectData", "module": "neuropype.nodes.visualization.InspectData", "params": {}, "uuid": "0c6f2d1e-8b7a-4c55-9a61-2f3e4d5c6b7a"},
        "node4": {"class": "ParameterPort", "module": "neuropype.nodes.workflow.ParameterPort", "params": {"portname": {"customized": true, "type": "StringPort", "value": "band"}, "default": {"customized": true, "type": "Port", "value": null}}, "uuid": "9e1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"}${extra}
    },
    "version": 1.1
}</patch>
</scheme>
`;
}

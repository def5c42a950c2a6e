// API engine worker: runs the executions that the REST API (service worker, bridge) asks for, with
// the real engine, off the page's main thread. The engine-host page hands it one MessagePort per
// service-worker instance. Thin: wiring only.
import { LocalBackend } from '../src/lib/api/local-backend';
import { builtinRegistry } from '../src/lib/engine/index';
import { servePort } from '../src/lib/core/rpc';
import { openDb } from '../src/lib/storage/db';
import { IndexedDbPipelineStore } from '../src/lib/storage/pipeline-store';

let backend: LocalBackend | null = null;

self.onmessage = (ev: MessageEvent<{ type: 'serve' }>) => {
  if (ev.data?.type !== 'serve' || !ev.ports[0]) return;
  backend ??= new LocalBackend({ registry: builtinRegistry(), store: new IndexedDbPipelineStore(openDb()) });
  servePort(ev.ports[0], backend);
};

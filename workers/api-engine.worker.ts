// API engine worker: runs the executions that the REST API (service worker, bridge) asks for, with
// the real engine, off the page's main thread. The engine-host page hands it one MessagePort per
// service-worker instance, and tells it which live device streams exist (shared rings) so stream
// input nodes (NeuroPype LSLInput) read them; marker input nodes get the marker bus; ml.model-predict
// nodes get the saved run their `model_id` names, read from IndexedDB (networks loaded with TF.js).
// It also hosts the live endpoints (Instinct sinks, NeuraScale's socket) for the page shim and the
// service worker's SSE (LIVE_OPEN on the same ports) and for the bridge's WebSocket relay.
// The NeuraScale family and Instinct's system endpoints run here too, on the page's devices (the
// device seam arrives as a port); the NeuraScale socket handler reads the device rings here.
// Open pipeline editors reach the same executions through the execution channel (api/execution-channel.ts).
import { LocalBackend, type BindRequest } from '../src/lib/api/local-backend';
import { builtinRegistry, MarkerQueue } from '../src/lib/engine/index';
import { connectPort, servePort, type RpcClient } from '../src/lib/core/rpc';
import { subscribeMarkers } from '../src/lib/core/markers';
import { Ring, RingReader } from '../src/lib/streams/ring';
import { openDb } from '../src/lib/storage/db';
import { LibraryFileOutputs } from '../src/lib/storage/pipeline-files';
import { FILE_OUTPUT_TYPES } from '../src/lib/engine/nodes/np-file-system';
import { IndexedDbPipelineStore } from '../src/lib/storage/pipeline-store';
import { matchStreamQuery, type StreamDescriptor } from '../src/lib/core/stream';
import { createApi, type Backend, type ExperimentBackend, type NeuraScaleBackend, type InstinctStream } from '../src/lib/api/index';
import { IndexedDbInstinctStreamStore } from '../src/lib/storage/instinct-store';
import { reviveApiError } from '../src/lib/api/message';
import { serveBridgeInWorker } from '../src/lib/api/bridge';
import { modelBinding } from '../src/lib/engine/nodes/model';
import { loadDeepPredictor } from './deep-predictor';
import type { DeviceBackend } from '../src/lib/api/device-backend';
import { instinctSystemRoutes, instinctSystemSettings, type InstinctSystemBackend } from '../src/lib/api/instinct-system';
import { dbSettings, NeuraScaleService } from '../src/lib/api/neurascale-service';
import { NeuraScaleSocketHandler } from '../src/lib/api/neurascale-ws';
import type { LiveSocketHandler } from '../src/lib/api/live';
import { LiveHost, LiveRoutes, serveLiveControl } from '../src/lib/api/live-host';
import { localConnector } from '../src/lib/api/live-client';
import { rpcProxy } from '../src/lib/core/rpc';
import { browserKernel } from '../src/lib/kernel/browser';
import type { KernelBackend } from '../src/lib/kernel/service';
import type { StudiesBackend } from '../src/lib/api/studies';
import { LslBridgeClient } from '../src/lib/api/lsl-client';
import { LslPublisher } from '../src/lib/api/lsl-publisher';
import { LslDevices } from '../src/lib/api/lsl-devices';
import { serveExecutionChannel } from '../src/lib/api/execution-channel';

type ApiEngineMessage =
  | { type: 'serve' }
  | { type: 'bridge'; port: number; token: string }
  | { type: 'exphub-port' }
  | { type: 'devices-port' }
  | { type: 'lsl-devices-port' }
  | { type: 'streams'; streams: Array<{ descriptor: StreamDescriptor; buffer: SharedArrayBuffer }> };

let streams: Array<{ descriptor: StreamDescriptor; buffer: SharedArrayBuffer }> = [];
// Queues of live marker-input nodes; weak, so deleted executions' queues are collected.
const markerQueues = new Set<WeakRef<MarkerQueue>>();
subscribeMarkers((events) => {
  for (const ref of markerQueues) {
    const q = ref.deref();
    if (q) q.push(events);
    else markerQueues.delete(ref);
  }
});

/** Files of RecordToXDF & co. in /np executions: an XDF joins the recordings library when closed. */
let libraryFiles: LibraryFileOutputs | undefined;

function bind(req: BindRequest): unknown {
  if (req.type === 'io.stream-input') {
    const query = String(req.params.query ?? '');
    const s = matchStreamQuery([...streams, ...lslDevices.streams()], query);
    if (!s) throw new Error(`no live stream matches ${query || 'the query'}: start a device or playback on the Live page, then load the pipeline again`);
    return { descriptor: s.descriptor, reader: new RingReader(Ring.attach(s.buffer), { from: 'now' }) };
  }
  if (req.type === 'ml.model-predict') {
    // model_id names a saved run (Dexie `models` table); the node waits until it is read (and a network loaded).
    const id = req.params.model_id;
    if (typeof id !== 'string' || id === '' || req.params.model) return undefined;
    return modelBinding(id, async (runId) => (await openDb().models.get(runId))?.state, loadDeepPredictor);
  }
  if (FILE_OUTPUT_TYPES.has(req.type)) return (libraryFiles ??= new LibraryFileOutputs(openDb(), { note: (m) => console.warn(`neurotab: ${m}`) }));
  if (req.type === 'io.marker-input') {
    const q = new MarkerQueue();
    markerQueues.add(new WeakRef(q));
    return q;
  }
  return undefined;
}

// LSL through the bridge: the client is attached to the bridge socket while paired; LSL streams
// connected as devices get rings pipelines bind to; the publisher finds app streams by their stream
// id among the live rings (and those), and the marker bus as "markers".
const lslClient = new LslBridgeClient();
const lslDevices: LslDevices = new LslDevices(lslClient, {}, (): string[] => lslPublisher.lslOutlets().map((o) => o.uid));
const lslPublisher: LslPublisher = new LslPublisher(lslClient, {
  find(source) {
    if (source === 'markers')
      return {
        descriptor: { id: 'markers', name: 'Neurotab markers', kind: 'markers', sampleRateHz: 0, channels: [{ label: 'Marker', unit: '', type: 'STIM' }] },
        subscribeMarkers: (fn) => subscribeMarkers((events) => events.forEach(fn)),
      };
    const s = [...streams, ...lslDevices.streams()].find((x) => x.descriptor.id === source);
    return s ? { descriptor: s.descriptor, ring: s.buffer } : null;
  },
}, lslDevices);

let backend: LocalBackend | null = null;
/** The /exphub family's calls go on to the training worker (TensorFlow.js must not stall executions). */
let exphub: RpcClient | null = null;
/** The training worker loads TensorFlow.js, so the page starts it only on the first /exphub call. */
let exphubWanted: Promise<RpcClient> | null = null;
let exphubArrived: ((c: RpcClient) => void) | null = null;
function exphubClient(): Promise<RpcClient> {
  if (exphub) return Promise.resolve(exphub);
  exphubWanted ??= new Promise((ok) => {
    exphubArrived = ok;
    self.postMessage({ type: 'exphub-wanted' });
  });
  return exphubWanted;
}

/** The page's device hub (clients/api-devices.ts), reached through the devices port. */
let devices: DeviceBackend | null = null;
let neurascale: NeuraScaleService | null = null;
let instinctSystem: InstinctSystemBackend | null = null;
let nsSocket: NeuraScaleSocketHandler | null = null;
const nsLive: LiveSocketHandler = {
  open: (s) => (nsSocket ? nsSocket.open(s) : s.close(1011, 'the devices of the engine tab are not connected yet; retry in a moment')),
  message: (s, d) => nsSocket?.message(s, d),
  close: (s, code, reason) => nsSocket?.close(s, code, reason),
};
/** Live endpoints answered here, for every transport: the service worker's SSE (over its port), the bridge relay, this worker's own API. */
const liveRoutes = new LiveRoutes().add('/neurascale/ws', nsLive).add('/instinct/_sinks/:port', (p) => localBackend().sinks.handler(Number(p.port)));
const liveHost = new LiveHost(liveRoutes.router);
const live = localConnector(liveHost);

const NO_DEVICES = { code: 'ENGINE_UNAVAILABLE', message: 'The devices of the engine tab are not reachable yet; retry in a moment' };

function connectDevices(port: MessagePort): void {
  devices = rpcProxy<DeviceBackend>(connectPort(port, { timeoutMs: 15_000, reviveError: reviveApiError }));
  const db = openDb();
  neurascale = new NeuraScaleService({ devices, db });
  // Through the service, so its device list sees the Instinct routes' changes too.
  instinctSystem = Object.assign(Object.create(neurascale) as DeviceBackend, instinctSystemSettings(dbSettings(db)));
  nsSocket = new NeuraScaleSocketHandler(neurascale);
}

/** Instinct's system settings (the rest of the Instinct family, its streams, is LocalBackend's). */
const INSTINCT_SYSTEM = new Set(['instinctSystemSettings', 'instinctSetSystemSettings']);

let kernel: ReturnType<typeof browserKernel> | null = null;
/** The Kernel service and its job queue, started with the first call (jobs run in this worker). */
function kernelSide(): ReturnType<typeof browserKernel> {
  kernel ??= browserKernel(openDb());
  return kernel;
}
/** The native studies routes' calls (StudiesBackend), answered by the study store and the queue. */
const STUDY_METHODS = new Set(['listStudies', 'findStudy', 'createStudy', 'updateStudy', 'deleteStudy', 'listParticipants', 'createParticipant', 'updateParticipant', 'listDatasets', 'getDataset', 'assignDatasets', 'unassignDataset', 'listUnassigned', 'loadDataset', 'listJobs']);

/** What the service worker calls: the NeuroPype backend (with Instinct streams), plus the exphub* methods relayed, the NeuraScale (ns*, device*) and Instinct system settings ones, the kernel* and study methods, and the lsl* ones (LslPublisher). */
function served(b: LocalBackend): object {
  return new Proxy(b, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop.startsWith('kernel')) {
        const k = kernelSide().service;
        return (...args: unknown[]) => (k as unknown as Record<string, (...a: unknown[]) => unknown>)[prop](...args);
      }
      if (typeof prop === 'string' && prop.startsWith('lsl')) {
        const fn = (lslPublisher as unknown as Record<string, (...a: unknown[]) => unknown>)[prop];
        return typeof fn === 'function' ? fn.bind(lslPublisher) : undefined;
      }
      if (typeof prop === 'string' && STUDY_METHODS.has(prop)) {
        const { studies, queue } = kernelSide();
        const target2 = (prop === 'listJobs' ? queue : studies) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return (...args: unknown[]) => target2[prop](...args);
      }
      if (typeof prop === 'string' && (prop.startsWith('ns') || prop.startsWith('device') || INSTINCT_SYSTEM.has(prop))) {
        return (...args: unknown[]) => {
          const impl = (INSTINCT_SYSTEM.has(prop) ? instinctSystem : neurascale) as unknown as Record<string, (...a: unknown[]) => unknown> | null;
          if (!impl) throw NO_DEVICES;
          return impl[prop](...args);
        };
      }
      if (typeof prop === 'string' && prop.startsWith('exphub')) {
        return async (...args: unknown[]) => (await exphubClient()).call(prop, args);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

function localBackend(): LocalBackend {
  backend ??= new LocalBackend({ registry: builtinRegistry(), store: new IndexedDbPipelineStore(openDb()), instinctStore: new IndexedDbInstinctStreamStore<InstinctStream>(openDb()), bind });
  return backend;
}

let httpApi: ReturnType<typeof createApi> | null = null;
/** The whole REST API answered in this worker: same Hono app, backend and pipeline store as the service worker's. */
function api(): ReturnType<typeof createApi> {
  if (!httpApi) {
    const b = served(localBackend());
    httpApi = createApi(b as Backend, { experiments: b as ExperimentBackend, neurascale: b as NeuraScaleBackend, live, instinctSystem: instinctSystemRoutes(b as InstinctSystemBackend), kernel: b as KernelBackend, studies: b as StudiesBackend, lsl: lslPublisher });
  }
  return httpApi;
}

// Open pipeline editors (any tab) share the executions' documents, reports and previews through this channel.
serveExecutionChannel(localBackend());

self.onmessage = (ev: MessageEvent<ApiEngineMessage>) => {
  const m = ev.data;
  if (m?.type === 'streams') {
    streams = m.streams;
    backend?.sourcesChanged(streams.map((s) => s.descriptor.id));
  }
  else if (m?.type === 'devices-port' && ev.ports[0]) connectDevices(ev.ports[0]);
  // The Devices page's LSL streams (clients/lsl-device.ts): connected here, where the bridge socket is; the page reads their rings.
  else if (m?.type === 'lsl-devices-port' && ev.ports[0]) servePort(ev.ports[0], lslDevices);
  else if (m?.type === 'exphub-port' && ev.ports[0]) {
    exphub = connectPort(ev.ports[0], { timeoutMs: 60_000, reviveError: reviveApiError });
    exphubArrived?.(exphub);
  }
  else if (m?.type === 'serve' && ev.ports[0]) {
    servePort(ev.ports[0], served(localBackend()));
    serveLiveControl(liveHost, ev.ports[0]);
    // Jobs left running by a tab that closed are re-run now, not at the first Kernel call.
    kernelSide();
  }
  // The engine host's end of the local bridge: the socket lives here, so relayed calls never cross threads.
  else if (m?.type === 'bridge' && ev.ports[0])
    serveBridgeInWorker(ev.ports[0], m.port, m.token, async (url, init) => api().fetch(new Request(url, init)), self.location.origin, {
      live,
      sinks: { ports: () => localBackend().sinks.activePorts(), onChange: (fn) => localBackend().sinks.onPortsChanged(fn) },
      lsl: lslClient,
    });
};

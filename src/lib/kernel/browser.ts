// The Kernel service as the engine-host tab runs it (workers/api-engine.worker.ts): studies, the
// persisted job queue and outputs on IndexedDB, and the settings of settings.ts. Any thread with
// IndexedDB; loads every pipeline's code (runners.ts), so not for the page or the service worker.
import type { NeurotabDb } from '../storage/db';
import { DexieStudyStore, IdbJobQueue, IdbOutputStore } from './idb';
import { KernelService } from './service';
import { kernelServiceSettings } from './settings';

/** Studies, queue (started: it runs the jobs in this thread) and the KernelService over them. */
export function browserKernel(db: NeurotabDb): { service: KernelService; studies: DexieStudyStore; queue: IdbJobQueue } {
  const studies = new DexieStudyStore(db);
  const outputs = new IdbOutputStore(db);
  const queue = new IdbJobQueue(db, { studies, outputs });
  queue.start();
  return { service: new KernelService(studies, queue, outputs, () => kernelServiceSettings(db)), studies, queue };
}

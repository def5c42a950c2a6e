// Picks the TensorFlow.js backend: in browsers the best one offered (webgpu when a webgpu backend
// is registered, webgl, then wasm, then cpu); in Node, wasm (XNNPACK, from the package's dist
// folder) or the pure-JS cpu backend. Never tfjs-node (it downloads a native library). Runs in the
// training worker, the page or Node; call once before building models.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: string;
  /** Backends tried before the chosen one, with why each was not taken. */
  rejected: { name: string; reason: string }[];
}

/**
 * Tries `order` until one initialises. `wasmPaths` is where the .wasm files are served (browser:
 * URLs from Vite `?url` imports; Node: the package dist folder as a file path ending in '/').
 */
export async function selectBackend(order: BackendName[], wasmPaths?: string | Record<string, string>): Promise<BackendChoice> {
  const rejected: BackendChoice['rejected'] = [];
  if (wasmPaths) setWasmPaths(wasmPaths as never);
  for (const name of order) {
    if (!tf.findBackendFactory(name)) {
      rejected.push({ name, reason: 'not available in this build' });
      continue;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name: tf.getBackend(), rejected };
      }
      rejected.push({ name, reason: 'failed to initialise' });
    } catch (e) {
      rejected.push({ name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', rejected };
}

/** Browser default order. */
export const BROWSER_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

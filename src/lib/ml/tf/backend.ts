// Picks the TensorFlow.js backend: in browsers the best one offered (webgpu, webgl, then wasm, then
// cpu); in Node, wasm (XNNPACK, from the package's dist folder) or the pure-JS cpu backend. Never
// tfjs-node (it downloads a native library). Runs in the training worker, the page or Node; call
// once before building models. The WebGPU backend is imported lazily, in browsers with a GPU adapter
// only, so Node, the service worker and GPU-less browsers never load its chunk.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: string;
  /** Backends tried before the chosen one, with why each was not taken. */
  rejected: { name: string; reason: string }[];
}

/** The parts of `navigator.gpu` used here (no @webgpu/types dependency). */
interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** What a browser-only backend needs from the environment; injectable for tests. */
export interface BackendEnvironment {
  /** A window or worker global scope (not Node). */
  isBrowser: boolean;
  gpu: GpuLike | undefined;
  /** Registers the 'webgpu' backend factory (the package registers itself on import). */
  importWebGpu: () => Promise<unknown>;
  /**
   * Use a software (fallback) adapter such as SwiftShader. Default false: it is slower than webgl
   * there, and Chromium's GPU watchdog kills long training kernels on it (device lost mid-run).
   */
  allowFallbackAdapter?: boolean;
}

/** What `requestAdapter()` resolves to, as far as this module reads it. */
interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string };
}

export function currentEnvironment(): BackendEnvironment {
  const g = globalThis as { window?: unknown; WorkerGlobalScope?: unknown; navigator?: { gpu?: GpuLike } };
  return {
    isBrowser: g.window !== undefined || g.WorkerGlobalScope !== undefined,
    gpu: g.navigator?.gpu,
    // @tensorflow/tfjs-backend-webgpu: the official WebGPU backend at the same version as tfjs (its peer).
    importWebGpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  };
}

/**
 * Makes the 'webgpu' backend factory available when this environment can run it. Returns null when
 * it is registered, else why not (shown to the user as the reason webgpu was rejected).
 */
export async function ensureWebGpuRegistered(env: BackendEnvironment = currentEnvironment()): Promise<string | null> {
  if (tf.findBackendFactory('webgpu')) return null;
  if (!env.isBrowser) return 'browser only (not loaded in Node)';
  if (!env.gpu) return 'navigator.gpu is missing (WebGPU not exposed by this browser or context)';
  let adapter: unknown;
  try {
    adapter = await env.gpu.requestAdapter();
  } catch (e) {
    return `requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!adapter) return 'no GPU adapter (requestAdapter returned null)';
  const a = adapter as AdapterLike;
  if ((a.isFallbackAdapter || a.info?.isFallbackAdapter) && !env.allowFallbackAdapter) {
    const what = [a.info?.vendor, a.info?.architecture].filter(Boolean).join(' ');
    return `only a software (fallback) adapter${what ? ` (${what})` : ''}: slower than webgl, and the GPU watchdog stops long training kernels on it`;
  }
  try {
    await env.importWebGpu();
  } catch (e) {
    return `could not load the WebGPU backend: ${e instanceof Error ? e.message : String(e)}`;
  }
  return tf.findBackendFactory('webgpu') ? null : 'the WebGPU backend did not register';
}

/**
 * Tries `order` until one initialises. `wasmPaths` is where the .wasm files are served (browser:
 * URLs from Vite `?url` imports; Node: the package dist folder as a file path ending in '/').
 */
export async function selectBackend(order: BackendName[], wasmPaths?: string | Record<string, string>, env: BackendEnvironment = currentEnvironment()): Promise<BackendChoice> {
  const rejected: BackendChoice['rejected'] = [];
  if (wasmPaths) setWasmPaths(wasmPaths as never);
  for (const name of order) {
    if (name === 'webgpu') {
      const why = await ensureWebGpuRegistered(env);
      if (why) {
        rejected.push({ name, reason: why });
        continue;
      }
    }
    if (!tf.findBackendFactory(name)) {
      rejected.push({ name, reason: 'not available in this build' });
      continue;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // GPU backends can initialise and still fail on the first kernel (driver, lost device).
        const broken = name === 'webgpu' || name === 'webgl' ? await selfTest() : null;
        if (!broken) return { name: tf.getBackend(), rejected };
        rejected.push({ name, reason: broken });
        continue;
      }
      rejected.push({ name, reason: 'failed to initialise' });
    } catch (e) {
      rejected.push({ name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', rejected };
}

/** A 2 × 2 matMul read back from the current backend: null when right, else what went wrong. */
export async function selfTest(): Promise<string | null> {
  try {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const r = tf.matMul(a, a);
    const v = await r.data();
    tf.dispose([a, r]);
    const want = [7, 10, 15, 22];
    return want.every((w, i) => Math.abs(v[i] - w) < 1e-3) ? null : `self-test computed [${Array.from(v).join(', ')}] instead of [7, 10, 15, 22]`;
  } catch (e) {
    return `self-test failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Browser default order. */
export const BROWSER_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

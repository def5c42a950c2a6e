// Backend choice: the lazily registered WebGPU backend and the fallback chain with the reasons each
// rejected backend is reported with (browser without navigator.gpu, no adapter, failing backend).
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureWebGpuRegistered, selectBackend, type BackendEnvironment } from './backend';

const env = (over: Partial<BackendEnvironment>): BackendEnvironment => ({
  isBrowser: true,
  gpu: { requestAdapter: async () => ({}) },
  importWebGpu: async () => {
    throw new Error('must not be imported');
  },
  ...over,
});

afterEach(() => {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
});

describe('WebGPU registration', () => {
  it('is never imported in Node, without navigator.gpu or without an adapter', async () => {
    expect(await ensureWebGpuRegistered(env({ isBrowser: false }))).toMatch(/browser only/);
    expect(await ensureWebGpuRegistered(env({ gpu: undefined }))).toMatch(/navigator\.gpu is missing/);
    expect(await ensureWebGpuRegistered(env({ gpu: { requestAdapter: async () => null } }))).toMatch(/no GPU adapter/);
    expect(await ensureWebGpuRegistered(env({ gpu: { requestAdapter: async () => Promise.reject(new Error('blocked')) } }))).toMatch(/requestAdapter failed: blocked/);
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });

  it('a software (fallback) adapter such as SwiftShader is refused unless allowed', async () => {
    const swiftshader = { requestAdapter: async () => ({ info: { isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader' } }) };
    expect(await ensureWebGpuRegistered(env({ gpu: swiftshader }))).toMatch(/software \(fallback\) adapter \(google swiftshader\)/);
    expect(await ensureWebGpuRegistered(env({ gpu: { requestAdapter: async () => ({ isFallbackAdapter: true }) } }))).toMatch(/software/);
    let imported = false;
    const allowed = env({ gpu: swiftshader, allowFallbackAdapter: true, importWebGpu: async () => ((imported = true), tf.registerBackend('webgpu', () => ({}) as never)) });
    expect(await ensureWebGpuRegistered(allowed)).toBeNull();
    expect(imported).toBe(true);
  });

  it('imports the package when an adapter exists, and reports a chunk that fails to load', async () => {
    let imported = 0;
    const ok = env({ importWebGpu: async () => (imported++, tf.registerBackend('webgpu', () => ({}) as never)) });
    // The registered factory is all that matters here; it is never initialised in this test.
    expect(await ensureWebGpuRegistered(ok)).toBeNull();
    expect(imported).toBe(1);
    expect(await ensureWebGpuRegistered(ok)).toBeNull();
    expect(imported).toBe(1);
    tf.removeBackend('webgpu');
    expect(await ensureWebGpuRegistered(env({ importWebGpu: async () => Promise.reject(new Error('offline')) }))).toMatch(/could not load the WebGPU backend: offline/);
    expect(await ensureWebGpuRegistered(env({ importWebGpu: async () => undefined }))).toMatch(/did not register/);
  });

  it('the real package registers nothing in Node (no navigator.gpu)', async () => {
    await import('@tensorflow/tfjs-backend-webgpu');
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });
});

describe('fallback chain', () => {
  it('webgpu → webgl → wasm → cpu: each rejection has its reason; cpu is chosen here', async () => {
    const choice = await selectBackend(['webgpu', 'webgl', 'cpu'], undefined, env({ gpu: undefined }));
    expect(choice.name).toBe('cpu');
    expect(choice.rejected.map((r) => r.name)).toEqual(['webgpu', 'webgl']);
    expect(choice.rejected[0].reason).toMatch(/navigator\.gpu/);
    expect(choice.rejected[1].reason).toBe('not available in this build');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('a registered webgpu backend that fails to initialise falls back with its error', async () => {
    const choice = await selectBackend(['webgpu', 'cpu'], undefined, env({
      importWebGpu: async () =>
        tf.registerBackend('webgpu', async () => {
          throw new Error('GPU device lost');
        }),
    }));
    expect(choice).toEqual({ name: 'cpu', rejected: [{ name: 'webgpu', reason: expect.stringMatching(/GPU device lost|failed to initialise/) }] });
  });

  it('a webgpu backend that initialises but cannot run a kernel is rejected by the self-test', async () => {
    // A CPU backend instance registered under the name 'webgpu' has no 'webgpu' kernels: matMul throws.
    const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
    const choice = await selectBackend(['webgpu', 'cpu'], undefined, env({ importWebGpu: async () => tf.registerBackend('webgpu', () => new MathBackendCPU()) }));
    expect(choice.name).toBe('cpu');
    expect(choice.rejected).toEqual([{ name: 'webgpu', reason: expect.stringMatching(/^self-test failed: .*MatMul|^self-test failed/) }]);
  });
});

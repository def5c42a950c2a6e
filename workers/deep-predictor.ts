// Loads a saved TensorFlow.js network as ml.model-predict's `DeepWindowPredictor`, inside a worker
// that runs executions (engine.worker.ts deployments, api-engine.worker.ts REST executions).
// Worker threads only: TensorFlow.js is imported dynamically, so only hosts that deploy networks
// pay for it; inference on wasm (XNNPACK, single-threaded), else cpu. Never trains.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { DeepWindowPredictor } from '../src/lib/engine/nodes/model';
import type { DeepModel } from '../src/lib/ml/tf/train';

let tfBackend: Promise<string> | null = null;

/** A loaded network as the model-predict node's binding; `dispose` frees its tensors. */
export async function loadDeepPredictor(model: DeepModel): Promise<DeepWindowPredictor & { dispose(): void }> {
  const [{ selectBackend }, tft] = await Promise.all([import('../src/lib/ml/tf/backend'), import('../src/lib/ml/tf/train')]);
  tfBackend ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    // Single-threaded wasm: the threaded build would spawn workers of its own inside this one.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const choice = await selectBackend(['wasm', 'cpu'], { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
    return choice.name;
  })();
  await tfBackend;
  const loaded = await tft.loadDeepModel(model);
  return {
    kind: 'deep-window-predictor',
    predict: (window, channelCount) => {
      const r = tft.predictDeepWindow(loaded, window, channelCount);
      return { classIndex: r.classIndex, probabilities: r.probabilities };
    },
    dispose: () => loaded.dispose(),
  };
}

// Faster CPU kernels for Conv2DBackpropFilter (channels-last) and DepthwiseConv2dNativeBackpropFilter: tfjs-backend-cpu's version reads
// every element through TensorBuffer.get and made one EEGNet epoch take ~2 minutes in Node; this
// one walks flat arrays (same sums, same result within float rounding) and brings it to seconds.
// Installed by `installFastCpuKernels()` wherever training may run on the cpu backend (worker,
// Node). Hot path of CPU training; allocates one output buffer per call.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = {
  inputs: Record<string, { dataId: object; shape: number[]; dtype: string }>;
  backend: { data: { get(id: object): { values: ArrayLike<number> } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): unknown };
  attrs: Record<string, unknown>;
};

let installed = false;

export function installFastCpuKernels(): void {
  if (installed) return;
  const original = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  const originalDw = tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'cpu');
  if (!original || !originalDw) return;
  installed = true;
  tf.unregisterKernel('DepthwiseConv2dNativeBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'cpu',
    kernelFunc: ((args: KernelArgs) => {
      const { x, dy } = args.inputs;
      const a = args.attrs as { strides: [number, number] | number; dilations: [number, number] | number; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
      const dil = Array.isArray(a.dilations) ? a.dilations : [a.dilations, a.dilations];
      if (dil[0] !== 1 || dil[1] !== 1) return (originalDw.kernelFunc as (x: unknown) => unknown)(args);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
      const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co, filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw } = info;
      const M = Co / Ci;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const xv = args.backend.data.get(x.dataId).values;
      const gv = args.backend.data.get(dy.dataId).values;
      const acc = new Float64Array(FH * FW * Co);
      for (let b = 0; b < B; b++) {
        for (let yR = 0; yR < OH; yR++) {
          for (let wR = 0; wR < FH; wR++) {
            const xR = yR * sh + wR - top;
            if (xR < 0 || xR >= H) continue;
            for (let yC = 0; yC < OW; yC++) {
              const gBase = ((b * OH + yR) * OW + yC) * Co;
              for (let wC = 0; wC < FW; wC++) {
                const xC = yC * sw + wC - left;
                if (xC < 0 || xC >= W) continue;
                const xBase = ((b * H + xR) * W + xC) * Ci;
                const wBase = (wR * FW + wC) * Co;
                for (let d1 = 0; d1 < Ci; d1++) {
                  const xval = xv[xBase + d1];
                  for (let q = 0; q < M; q++) acc[wBase + d1 * M + q] += xval * gv[gBase + d1 * M + q];
                }
              }
            }
          }
        }
      }
      return args.backend.makeTensorInfo(info.filterShape, 'float32', Float32Array.from(acc));
    }) as unknown as tf.KernelFunc,
  });
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    kernelFunc: ((args: KernelArgs) => {
      const { x, dy } = args.inputs;
      const a = args.attrs as { strides: [number, number] | number; pad: 'same' | 'valid' | number; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
      if (a.dataFormat === 'NCHW') return (original.kernelFunc as (x: unknown) => unknown)(args);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
      const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co, filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const xv = args.backend.data.get(x.dataId).values;
      const gv = args.backend.data.get(dy.dataId).values;
      const acc = new Float64Array(FH * FW * Ci * Co);
      for (let b = 0; b < B; b++) {
        for (let yR = 0; yR < OH; yR++) {
          for (let wR = 0; wR < FH; wR++) {
            const xR = yR * sh + wR - top;
            if (xR < 0 || xR >= H) continue;
            for (let yC = 0; yC < OW; yC++) {
              const gBase = ((b * OH + yR) * OW + yC) * Co;
              for (let wC = 0; wC < FW; wC++) {
                const xC = yC * sw + wC - left;
                if (xC < 0 || xC >= W) continue;
                const xBase = ((b * H + xR) * W + xC) * Ci;
                const wBase = (wR * FW + wC) * Ci * Co;
                for (let d1 = 0; d1 < Ci; d1++) {
                  const xval = xv[xBase + d1];
                  if (xval === 0) continue;
                  const o = wBase + d1 * Co;
                  for (let d2 = 0; d2 < Co; d2++) acc[o + d2] += xval * gv[gBase + d2];
                }
              }
            }
          }
        }
      }
      return args.backend.makeTensorInfo(info.filterShape, 'float32', Float32Array.from(acc));
    }) as unknown as tf.KernelFunc,
  });
}

// Sample layouts: FRAME-MAJOR x[n·channels + c] (the engine's packets, the rings) ↔ CHANNEL-MAJOR
// x[c·frames + n] (SciPy's [channel, sample], the one-shot DSP functions). Any thread. HOT PATH.

/**
 * Frame-major `x[n * channels + c]` → channel-major `out[at + c * frames + n]`, in 32×32 tiles so
 * both sides stay in cache (a plain double loop is several times slower for 64+ channels).
 */
export function transposeInto<T extends Float32Array | Float64Array>(x: ArrayLike<number>, frames: number, channels: number, out: T, at = 0): T {
  const B = 32;
  for (let n0 = 0; n0 < frames; n0 += B) {
    const n1 = Math.min(frames, n0 + B);
    for (let c0 = 0; c0 < channels; c0 += B) {
      const c1 = Math.min(channels, c0 + B);
      for (let c = c0; c < c1; c++) {
        const o = at + c * frames;
        for (let n = n0; n < n1; n++) out[o + n] = x[n * channels + c];
      }
    }
  }
  return out;
}

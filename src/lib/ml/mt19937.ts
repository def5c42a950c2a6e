// Mersenne Twister MT19937 with `genrand_res53` doubles: the generator behind MATLAB's `rand` after
// `rng('default')` (seed 5489) and NumPy's legacy `RandomState(seed).random_sample()`, so a seeded
// random choice (clean_rawdata's RANSAC channel subsets) is the same here as there. Runs anywhere.

/** Uniform doubles in [0, 1) with 53-bit resolution; seed 5489 = MATLAB's default stream. */
export function mt19937(seed = 5489): () => number {
  const mt = new Uint32Array(624);
  let index = 624;
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) {
    const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
    // 1812433253 · prev + i, mod 2^32 (split multiply to stay exact)
    mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
  }
  const next32 = (): number => {
    if (index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  return () => {
    const a = next32() >>> 5;
    const b = next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };
}

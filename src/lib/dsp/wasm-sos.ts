// WebAssembly SIMD biquad-cascade kernel: two channels per f64x2 vector, sections unrolled with
// state in locals. The module bytes are emitted here by a small hand-written encoder
// from the section count only (an integer), never from user input. Runs on any thread with
// WebAssembly SIMD (Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Node ≥ 16); callers fall back to JS.
// HOT PATH: `run*` methods allocate only when a block is larger than any before (memory growth).
// Arithmetic is the same IEEE float64 sequence as the JS kernel in iir.ts, so results are bit-identical.

import { F32X4_DEMOTE_F64X2_ZERO, F64X2_ADD, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, F64X2_SUB, I32, LOAD32_LANE, LOAD32_ZERO, LOAD64_LANE, LOAD64_ZERO, memarg, op, section, STORE32_LANE, STORE64_LANE, str, uleb, V128, V128_LOAD, V128_STORE, vec } from './wasm-encoder';

/** Bytes of coefficient block per section: b0 b1 b2 a1 a2, each splatted to f64x2. */
export const COEF_BYTES_PER_SECTION = 80;
/** Bytes of state per section and channel pair: z1 (2 lanes), z2 (2 lanes). */
export const STATE_BYTES_PER_SECTION = 32;

/**
 * Function body of run(coefPtr, xA, xB, yA, yB, strideBytes, n, zPtr): filters n samples of two
 * channels (lane 0 from xA, lane 1 from xB, advancing by strideBytes), writing yA/yB (may alias x).
 */
function body(nsec: number, f32: boolean): number[] {
  const P = { coef: 0, xA: 1, xB: 2, yA: 3, yB: 4, stride: 5, n: 6, z: 7 };
  // Coefficients are read from memory at each use (measured faster than holding them in v128 locals:
  // fewer register spills, and the loads hit L1); the state lives in locals.
  const z1L = (k: number) => 8 + 2 * k;
  const z2L = (k: number) => 8 + 2 * k + 1;
  const vL = 8 + 2 * nsec;
  const tL = vL + 1;
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  for (let k = 0; k < nsec; k++) {
    emit(op.localGet(P.z), op.simd(V128_LOAD, ...memarg(4, k * STATE_BYTES_PER_SECTION)), op.localSet(z1L(k)));
    emit(op.localGet(P.z), op.simd(V128_LOAD, ...memarg(4, k * STATE_BYTES_PER_SECTION + 16)), op.localSet(z2L(k)));
  }
  emit(op.block, op.localGet(P.n), op.i32Eqz, op.brIf(0), op.loop);
  // v = [x[A], x[B]]
  if (f32) {
    emit(op.localGet(P.xB), op.localGet(P.xA), op.simd(LOAD32_ZERO, ...memarg(2, 0)), op.simd(LOAD32_LANE, ...memarg(2, 0), 1), op.simd(F64X2_PROMOTE_LOW_F32X4));
  } else {
    emit(op.localGet(P.xB), op.localGet(P.xA), op.simd(LOAD64_ZERO, ...memarg(3, 0)), op.simd(LOAD64_LANE, ...memarg(3, 0), 1));
  }
  emit(op.localSet(vL));
  for (let k = 0; k < nsec; k++) {
    const g = (i: number) => op.localGet(i);
    // j: 0 b0, 1 b1, 2 b2, 3 a1, 4 a2
    const coefL = (kk: number, j: number) => [...op.localGet(P.coef), ...op.simd(V128_LOAD, ...memarg(4, kk * COEF_BYTES_PER_SECTION + 16 * j))];
    // t = b0*v + z1
    emit(coefL(k, 0), g(vL), op.simd(F64X2_MUL), g(z1L(k)), op.simd(F64X2_ADD), op.localSet(tL));
    // z1 = (b1*v - a1*t) + z2
    emit(coefL(k, 1), g(vL), op.simd(F64X2_MUL), coefL(k, 3), g(tL), op.simd(F64X2_MUL), op.simd(F64X2_SUB), g(z2L(k)), op.simd(F64X2_ADD), op.localSet(z1L(k)));
    // z2 = b2*v - a2*t
    emit(coefL(k, 2), g(vL), op.simd(F64X2_MUL), coefL(k, 4), g(tL), op.simd(F64X2_MUL), op.simd(F64X2_SUB), op.localSet(z2L(k)));
    emit(g(tL), op.localSet(vL));
  }
  if (f32) {
    emit(op.localGet(vL), op.simd(F32X4_DEMOTE_F64X2_ZERO), op.localSet(vL));
    emit(op.localGet(P.yA), op.localGet(vL), op.simd(STORE32_LANE, ...memarg(2, 0), 0));
    emit(op.localGet(P.yB), op.localGet(vL), op.simd(STORE32_LANE, ...memarg(2, 0), 1));
  } else {
    emit(op.localGet(P.yA), op.localGet(vL), op.simd(STORE64_LANE, ...memarg(3, 0), 0));
    emit(op.localGet(P.yB), op.localGet(vL), op.simd(STORE64_LANE, ...memarg(3, 0), 1));
  }
  for (const p of [P.xA, P.xB, P.yA, P.yB]) emit(op.localGet(p), op.localGet(P.stride), op.i32Add, op.localSet(p));
  emit(op.localGet(P.n), op.i32Const(1), op.i32Sub, op.localSet(P.n));
  emit(op.localGet(P.n), op.brIf(0), op.end, op.end);
  for (let k = 0; k < nsec; k++) {
    emit(op.localGet(P.z), op.localGet(z1L(k)), op.simd(V128_STORE, ...memarg(4, k * STATE_BYTES_PER_SECTION)));
    emit(op.localGet(P.z), op.localGet(z2L(k)), op.simd(V128_STORE, ...memarg(4, k * STATE_BYTES_PER_SECTION + 16)));
  }
  code.push(0x0b);
  const locals = vec([[...uleb(2 * nsec + 2), V128]]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module for `nsec` sections: exports memory, f64(...) and f32(...). */
export function sosModuleBytes(nsec: number): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(8).fill([I32])), 0x00];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(3, vec([[0x00], [0x00]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([
      [...str('memory'), 0x02, 0x00],
      [...str('f64'), 0x00, 0x00],
      [...str('f32'), 0x00, 0x01],
    ])),
    ...section(10, vec([body(nsec, false), body(nsec, true)])),
  ];
  return new Uint8Array(bytes);
}

type RunFn = (coef: number, xA: number, xB: number, yA: number, yB: number, stride: number, n: number, z: number) => void;

const moduleCache = new Map<number, WebAssembly.Module | null>();

/** Compiled module for nsec sections, or null where WebAssembly SIMD is unavailable or blocked. */
function moduleFor(nsec: number): WebAssembly.Module | null {
  if (moduleCache.has(nsec)) return moduleCache.get(nsec)!;
  let m: WebAssembly.Module | null = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = sosModuleBytes(nsec);
      if (WebAssembly.validate(bytes)) m = new WebAssembly.Module(bytes);
    }
  } catch {
    m = null; // CSP without 'wasm-unsafe-eval', or no SIMD
  }
  moduleCache.set(nsec, m);
  return m;
}

/**
 * Largest cascade given to the unrolled wasm kernel (beyond it callers use JS). 15 sections keep the
 * module under 4 KB, the largest Chrome compiles synchronously on the main thread.
 */
export const MAX_WASM_SECTIONS = 15;

/**
 * One wasm instance (own memory) holding a cascade's coefficients, the state of `pairs` channel
 * pairs and an I/O area. Memory layout: [coefficients][state: pair × section × 32 B][io].
 */
export class WasmSos {
  readonly sectionCount: number;
  readonly pairs: number;
  private readonly memory: WebAssembly.Memory;
  private readonly f64: RunFn;
  private readonly f32: RunFn;
  readonly statePtr: number;
  readonly ioPtr: number;

  /** Null when WebAssembly SIMD cannot be used here. */
  static create(sos: Float64Array, pairs: number): WasmSos | null {
    const nsec = sos.length / 6;
    if (nsec < 1 || nsec > MAX_WASM_SECTIONS) return null;
    const m = moduleFor(nsec);
    if (!m) return null;
    try {
      return new WasmSos(m, sos, pairs);
    } catch {
      return null;
    }
  }

  private constructor(m: WebAssembly.Module, sos: Float64Array, pairs: number) {
    const inst = new WebAssembly.Instance(m, {});
    const ex = inst.exports as unknown as { memory: WebAssembly.Memory; f64: RunFn; f32: RunFn };
    this.memory = ex.memory;
    this.f64 = ex.f64;
    this.f32 = ex.f32;
    this.sectionCount = sos.length / 6;
    this.pairs = pairs;
    this.statePtr = this.sectionCount * COEF_BYTES_PER_SECTION;
    this.ioPtr = this.statePtr + pairs * this.sectionCount * STATE_BYTES_PER_SECTION;
    this.ensure(this.ioPtr + 16);
    const c = new Float64Array(this.memory.buffer, 0, this.sectionCount * 10);
    for (let k = 0; k < this.sectionCount; k++) {
      const row = [sos[6 * k], sos[6 * k + 1], sos[6 * k + 2], sos[6 * k + 4], sos[6 * k + 5]];
      for (let j = 0; j < 5; j++) c[10 * k + 2 * j] = c[10 * k + 2 * j + 1] = row[j];
    }
  }

  /** Make sure memory holds `bytes`; views must be re-taken afterwards. */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer as ArrayBuffer;
  }

  private cachedBuffer: ArrayBuffer | null = null;
  private cachedF64 = new Float64Array(0);
  private cachedF32 = new Float32Array(0);
  private cachedState = new Float64Array(0);

  private refresh(): void {
    const b = this.memory.buffer as ArrayBuffer;
    if (b !== this.cachedBuffer) {
      this.cachedBuffer = b;
      this.cachedF64 = new Float64Array(b);
      this.cachedF32 = new Float32Array(b);
      this.cachedState = new Float64Array(b, this.statePtr, this.pairs * this.sectionCount * 4);
    }
  }

  /** Whole memory as Float64Array (cached until memory grows; index = byte address / 8). */
  heapF64(): Float64Array {
    this.refresh();
    return this.cachedF64;
  }

  /** Whole memory as Float32Array (cached until memory grows; index = byte address / 4). */
  heapF32(): Float32Array {
    this.refresh();
    return this.cachedF32;
  }

  /** State as Float64Array view [pair][section][z1 lane0, z1 lane1, z2 lane0, z2 lane1] (cached). */
  stateView(): Float64Array {
    this.refresh();
    return this.cachedState;
  }

  /** Run one pair over n samples at byte addresses (lanes A/B), strideBytes apart. */
  run(f32: boolean, pair: number, xA: number, xB: number, yA: number, yB: number, strideBytes: number, n: number): void {
    const z = this.statePtr + pair * this.sectionCount * STATE_BYTES_PER_SECTION;
    (f32 ? this.f32 : this.f64)(0, xA, xB, yA, yB, strideBytes, n, z);
  }
}

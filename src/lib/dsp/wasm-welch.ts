// WebAssembly SIMD Welch segment kernel: two segments per f64x2 vector (lane 0 = segment g, lane 1 =
// segment g+1), so every butterfly is plain vector arithmetic with splatted twiddles. Per pair:
// segment means, mean removal + window + even/odd packing in bit-reversed order, radix-2 complex FFT of
// N/2 points, real split, |X|² accumulated per lane. Module bytes are emitted by our own encoder from
// the integer N only. Any thread with WebAssembly SIMD; callers fall back to JS. Float64 arithmetic.
// HOT PATH: `pair` allocates nothing.
import {
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_SPLAT,
  F64X2_SUB,
  f64Const,
  I32,
  I32_LT_U,
  I32_SHR_U,
  i32Load,
  LOAD32_LANE,
  LOAD32_ZERO,
  LOAD64_LANE,
  LOAD64_SPLAT,
  LOAD64_ZERO,
  memarg,
  op,
  section,
  str,
  uleb,
  V128,
  V128_LOAD,
  V128_STORE,
  vec,
} from './wasm-encoder';

const align16 = (n: number): number => (n + 15) & ~15;

/** Byte layout of a plan's memory for segment length n (power of two). */
export function welchLayout(n: number) {
  const h = n >> 1;
  const WIN = 0; // n f64
  const REV = align16(WIN + 8 * n); // h i32: byte offset (16·rev(i)) of packed point i
  const TWR = align16(REV + 4 * h); // h/2 f64: cos(2πt/h)
  const TWI = align16(TWR + 8 * (h >> 1)); // h/2 f64: −sin(2πt/h)
  const SPR = align16(TWI + 8 * (h >> 1)); // h+1 f64: cos(2πk/n)
  const SPI = align16(SPR + 8 * (h + 1)); // h+1 f64: −sin(2πk/n)
  const MASK = align16(SPI + 8 * (h + 1)); // v128 lane weights
  const ZR = MASK + 16; // h v128
  const ZI = ZR + 16 * h; // h v128
  const ACC = ZI + 16 * h; // h+1 v128
  const DATA = align16(ACC + 16 * (h + 1));
  return { h, WIN, REV, TWR, TWI, SPR, SPI, MASK, ZR, ZI, ACC, DATA };
}

function body(n: number, f32: boolean): number[] {
  const L = welchLayout(n);
  const h = L.h;
  const E = f32 ? 4 : 8;
  // locals: params 0 xA, 1 xB; i32 2.. ; v128 after
  const xA = 0, xB = 1;
  const i = 2, pa = 3, pb = 4, r = 5, halfB = 6, sizeB = 7, twStride = 8, start = 9, j = 10, t = 11, p = 12, kq = 13;
  const NI32 = 12;
  const V = 2 + NI32;
  const sum = V, m = V + 1, a = V + 2, b = V + 3, wr = V + 4, wi = V + 5, xr = V + 6, xi = V + 7, pr = V + 8, pi = V + 9, qr = V + 10, qi = V + 11, er = V + 12, ei = V + 13, or = V + 14, oi = V + 15;
  const NV = 16;
  const c: number[] = [];
  const e = (...parts: (number[] | number)[]) => {
    for (const x of parts) {
      if (Array.isArray(x)) c.push(...x);
      else c.push(x);
    }
  };
  const g = op.localGet, s = op.localSet, k32 = op.i32Const;
  const simd = op.simd;
  const loadPair = (ptrA: number, ptrB: number, off: number) =>
    f32
      ? [...g(ptrB), ...g(ptrA), ...simd(LOAD32_ZERO, ...memarg(2, off)), ...simd(LOAD32_LANE, ...memarg(2, off), 1), ...simd(F64X2_PROMOTE_LOW_F32X4)]
      : [...g(ptrB), ...g(ptrA), ...simd(LOAD64_ZERO, ...memarg(3, off)), ...simd(LOAD64_LANE, ...memarg(3, off), 1)];
  const splat = (addrCode: number[], off: number) => [...addrCode, ...simd(LOAD64_SPLAT, ...memarg(3, off))];
  const vload = (addrCode: number[], off: number) => [...addrCode, ...simd(V128_LOAD, ...memarg(4, off))];
  const ADD = simd(F64X2_ADD), SUB = simd(F64X2_SUB), MUL = simd(F64X2_MUL);
  const inc = (loc: number, by: number) => [...g(loc), ...k32(by), ...op.i32Add, ...s(loc)];

  // ---- mean of n samples per lane
  e(f64Const(0), simd(F64X2_SPLAT), s(sum));
  e(g(xA), s(pa), g(xB), s(pb), k32(0), s(i));
  e(op.loop);
  e(g(sum), loadPair(pa, pb, 0), ADD, s(sum));
  e(inc(pa, E), inc(pb, E), inc(i, 1));
  e(g(i), k32(n), I32_LT_U, op.brIf(0), op.end);
  e(g(sum), f64Const(1 / n), simd(F64X2_SPLAT), MUL, s(m));

  // ---- pack: Z[rev i] = ((x[2i] − m)·w[2i]) + j((x[2i+1] − m)·w[2i+1])
  e(g(xA), s(pa), g(xB), s(pb), k32(0), s(i));
  e(op.loop);
  e(g(i), k32(2), [0x74] /* i32.shl */, i32Load(L.REV), s(r)); // r = byte offset
  e(loadPair(pa, pb, 0), g(m), SUB, splat([...g(i), ...k32(4), 0x74], L.WIN), MUL, s(a));
  e(loadPair(pa, pb, E), g(m), SUB, splat([...g(i), ...k32(4), 0x74], L.WIN + 8), MUL, s(b));
  e(g(r), g(a), simd(V128_STORE, ...memarg(4, L.ZR)));
  e(g(r), g(b), simd(V128_STORE, ...memarg(4, L.ZI)));
  e(inc(pa, 2 * E), inc(pb, 2 * E), inc(i, 1));
  e(g(i), k32(h), I32_LT_U, op.brIf(0), op.end);

  // ---- radix-2 stages over h complex points (byte offsets; 16 bytes per point)
  e(k32(16), s(halfB), k32(32), s(sizeB), k32((h >> 1) * 8), s(twStride));
  e(op.loop); // stage
  e(k32(0), s(start));
  e(op.loop); // block
  e(k32(0), s(j), k32(0), s(t));
  e(op.loop); // butterfly
  e(g(start), g(j), op.i32Add, s(p));
  e(splat(g(t), L.TWR), s(wr), splat(g(t), L.TWI), s(wi));
  e(vload([...g(p), ...g(halfB), ...op.i32Add], L.ZR), s(qr));
  e(vload([...g(p), ...g(halfB), ...op.i32Add], L.ZI), s(qi));
  e(g(qr), g(wr), MUL, g(qi), g(wi), MUL, SUB, s(xr));
  e(g(qr), g(wi), MUL, g(qi), g(wr), MUL, ADD, s(xi));
  e(vload(g(p), L.ZR), s(pr), vload(g(p), L.ZI), s(pi));
  e(g(p), g(halfB), op.i32Add, g(pr), g(xr), SUB, simd(V128_STORE, ...memarg(4, L.ZR)));
  e(g(p), g(halfB), op.i32Add, g(pi), g(xi), SUB, simd(V128_STORE, ...memarg(4, L.ZI)));
  e(g(p), g(pr), g(xr), ADD, simd(V128_STORE, ...memarg(4, L.ZR)));
  e(g(p), g(pi), g(xi), ADD, simd(V128_STORE, ...memarg(4, L.ZI)));
  e(inc(j, 16), g(t), g(twStride), op.i32Add, s(t));
  e(g(j), g(halfB), I32_LT_U, op.brIf(0), op.end);
  e(g(start), g(sizeB), op.i32Add, s(start));
  e(g(start), k32(16 * h), I32_LT_U, op.brIf(0), op.end);
  e(g(sizeB), s(halfB), g(sizeB), g(sizeB), op.i32Add, s(sizeB), g(twStride), k32(1), I32_SHR_U, s(twStride));
  e(g(halfB), k32(16 * h), I32_LT_U, op.brIf(0), op.end);

  // ---- split + power, accumulated with lane weights
  const mask = vload(k32(0), L.MASK);
  e(vload(k32(0), L.ZR), s(pr), vload(k32(0), L.ZI), s(pi));
  e(k32(0), vload(k32(0), L.ACC), g(pr), g(pi), ADD, s(a), g(a), g(a), MUL, mask, MUL, ADD, simd(V128_STORE, ...memarg(4, L.ACC)));
  e(k32(0), vload(k32(0), L.ACC + 16 * h), g(pr), g(pi), SUB, s(a), g(a), g(a), MUL, mask, MUL, ADD, simd(V128_STORE, ...memarg(4, L.ACC + 16 * h)));
  const half = [...f64Const(0.5), ...simd(F64X2_SPLAT)];
  e(half, s(sum)); // sum := 0.5 splat
  e(k32(16), s(p), k32(16 * (h - 1)), s(kq), k32(8), s(t));
  e(op.loop);
  e(vload(g(p), L.ZR), s(pr), vload(g(p), L.ZI), s(pi), vload(g(kq), L.ZR), s(qr), vload(g(kq), L.ZI), s(qi));
  e(g(sum), g(pr), g(qr), ADD, MUL, s(er)); // er = 0.5(ar + br)
  e(g(sum), g(pi), g(qi), SUB, MUL, s(ei)); // ei = 0.5(ai − Zi[h−k])
  e(g(sum), g(pi), g(qi), ADD, MUL, s(or)); // or = 0.5(ai + Zi[h−k])
  e(g(sum), g(qr), g(pr), SUB, MUL, s(oi)); // oi = 0.5(br − ar)
  e(splat(g(t), L.SPR), s(wr), splat(g(t), L.SPI), s(wi));
  e(g(er), g(wr), g(or), MUL, ADD, g(wi), g(oi), MUL, SUB, s(xr));
  e(g(ei), g(wr), g(oi), MUL, ADD, g(wi), g(or), MUL, ADD, s(xi));
  e(g(p), vload(g(p), L.ACC), g(xr), g(xr), MUL, g(xi), g(xi), MUL, ADD, mask, MUL, ADD, simd(V128_STORE, ...memarg(4, L.ACC)));
  e(inc(p, 16), g(kq), k32(16), op.i32Sub, s(kq), inc(t, 8));
  e(g(p), k32(16 * h), I32_LT_U, op.brIf(0), op.end);
  c.push(0x0b);
  const locals = vec([[...uleb(NI32), I32], [...uleb(NV), V128]]);
  const fn = [...locals, ...c];
  return [...uleb(fn.length), ...fn];
}

/** Module for segment length n: exports memory, f64(xA, xB) and f32(xA, xB). */
export function welchModuleBytes(n: number): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec([[I32], [I32]]), 0x00];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(3, vec([[0x00], [0x00]])),
    ...section(5, vec([[0x00, ...uleb(Math.ceil((welchLayout(n).DATA + 16) / 65536))]])),
    ...section(7, vec([
      [...str('memory'), 0x02, 0x00],
      [...str('f64'), 0x00, 0x00],
      [...str('f32'), 0x00, 0x01],
    ])),
    ...section(10, vec([body(n, false), body(n, true)])),
  ];
  return new Uint8Array(bytes);
}

type PairFn = (xA: number, xB: number) => void;
const modules = new Map<number, WebAssembly.Module | null>();

/** One Welch plan for segment length n (power of two, 16..65536): wasm instance + tables. */
export class WasmWelch {
  readonly n: number;
  readonly layout: ReturnType<typeof welchLayout>;
  private readonly memory: WebAssembly.Memory;
  private readonly fns: { f64: PairFn; f32: PairFn };

  static create(n: number): WasmWelch | null {
    if (n < 16 || n > 65536 || (n & (n - 1)) !== 0) return null;
    let m = modules.get(n);
    if (m === undefined) {
      m = null;
      try {
        if (typeof WebAssembly === 'object') {
          const bytes = welchModuleBytes(n);
          if (WebAssembly.validate(bytes)) m = new WebAssembly.Module(bytes);
        }
      } catch {
        m = null;
      }
      modules.set(n, m);
    }
    if (!m) return null;
    try {
      return new WasmWelch(m, n);
    } catch {
      return null;
    }
  }

  private constructor(m: WebAssembly.Module, n: number) {
    const inst = new WebAssembly.Instance(m, {});
    const ex = inst.exports as unknown as { memory: WebAssembly.Memory; f64: PairFn; f32: PairFn };
    this.memory = ex.memory;
    this.fns = { f64: ex.f64, f32: ex.f32 };
    this.n = n;
    this.layout = welchLayout(n);
    const L = this.layout;
    const h = L.h;
    const bits = Math.round(Math.log2(h));
    const rev = new Int32Array(this.memory.buffer, L.REV, h);
    for (let i = 0; i < h; i++) {
      let rr = 0;
      for (let bb = 0; bb < bits; bb++) rr |= ((i >> bb) & 1) << (bits - 1 - bb);
      rev[i] = 16 * rr;
    }
    const twr = new Float64Array(this.memory.buffer, L.TWR, h >> 1);
    const twi = new Float64Array(this.memory.buffer, L.TWI, h >> 1);
    for (let t = 0; t < h >> 1; t++) {
      twr[t] = 4 * t === h ? 0 : Math.cos((2 * Math.PI * t) / h);
      twi[t] = -(4 * t === h ? 1 : Math.sin((2 * Math.PI * t) / h));
    }
    const spr = new Float64Array(this.memory.buffer, L.SPR, h + 1);
    const spi = new Float64Array(this.memory.buffer, L.SPI, h + 1);
    for (let k = 0; k <= h; k++) {
      spr[k] = Math.cos((2 * Math.PI * k) / n);
      spi[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  /** Grow memory so the data area holds `bytes`. */
  ensureData(bytes: number): void {
    const need = this.layout.DATA + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer as ArrayBuffer;
  }

  /** Views on the plan's memory, rebuilt only when the memory grew (no allocation per call). */
  private viewsOf: ArrayBuffer | undefined;
  private mask = new Float64Array(0);
  private acc = new Float64Array(0);
  private win = new Float64Array(0);
  private data32 = new Float32Array(0);
  private data64 = new Float64Array(0);
  private views(): void {
    const buf = this.memory.buffer as ArrayBuffer;
    if (buf === this.viewsOf) return;
    const L = this.layout;
    this.mask = new Float64Array(buf, L.MASK, 2);
    this.acc = new Float64Array(buf, L.ACC, (L.h + 1) * 2);
    this.win = new Float64Array(buf, L.WIN, this.n);
    this.data32 = new Float32Array(buf, L.DATA, (buf.byteLength - L.DATA) >> 2);
    this.data64 = new Float64Array(buf, L.DATA, (buf.byteLength - L.DATA) >> 3);
    this.viewsOf = buf;
  }

  private windowSet: Float64Array | null = null;
  /** Uploads the window (skipped when it is the array uploaded last: windows are cached and never change). */
  setWindow(win: Float64Array): void {
    if (win === this.windowSet) return;
    this.views();
    this.win.set(win);
    this.windowSet = win;
  }

  /** Lane weights: [1, 1] for a real pair, [1, 0] when lane 1 duplicates lane 0. */
  setMask(lane1: number): void {
    this.views();
    this.mask[0] = 1;
    this.mask[1] = lane1;
  }

  /** Accumulators, Float64Array view [bin][lane] of (n/2+1)·2 values (cached; valid until the memory grows). */
  accView(): Float64Array {
    this.views();
    return this.acc;
  }

  /** The whole data area as float32 or float64 (cached; valid until the memory grows). */
  dataView(f32: boolean): Float32Array | Float64Array {
    this.views();
    return f32 ? this.data32 : this.data64;
  }

  /** Accumulate |rfft|² of the segments at byte addresses xA and xB (lanes 0 and 1). HOT PATH. */
  pair(f32: boolean, xA: number, xB: number): void {
    (f32 ? this.fns.f32 : this.fns.f64)(xA, xB);
  }
}

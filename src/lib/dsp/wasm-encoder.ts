// Minimal WebAssembly binary encoder used to emit the SIMD kernels in wasm-sos.ts and wasm-welch.ts
// (written for this project; only the opcodes those kernels need). Pure; runs anywhere.
// Must only ever encode numbers chosen by our code, never strings or code from users.

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

export const I32 = 0x7f;
export const V128 = 0x7b;
export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Eqz: [0x45],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  end: [0x0b],
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
};
export const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];
export const V128_LOAD = 0x00;
export const V128_STORE = 0x0b;
export const LOAD32_LANE = 0x56;
export const LOAD64_LANE = 0x57;
export const STORE32_LANE = 0x5a;
export const STORE64_LANE = 0x5b;
export const LOAD32_ZERO = 0x5c;
export const LOAD64_ZERO = 0x5d;
export const F32X4_DEMOTE_F64X2_ZERO = 0x5e;
export const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
export const F64X2_ADD = 0xf0;
export const F64X2_SUB = 0xf1;
export const F64X2_MUL = 0xf2;

export const F64 = 0x7c;
export const LOAD64_SPLAT = 0x0a;
export const F64X2_SPLAT = 0x14;
/** f64.const v (8-byte little-endian immediate). */
export function f64Const(v: number): number[] {
  const b = new Uint8Array(new Float64Array([v]).buffer);
  return [0x44, ...b];
}
export const i32Load = (offset: number): number[] => [0x28, ...memarg(2, offset)];
export const I32_MUL = [0x6c];
export const I32_SHL = [0x74];
export const I32_SHR_U = [0x76];
export const I32_LT_U = [0x49];
export const localTee = (i: number): number[] => [0x22, ...uleb(i)];

/**
 * Test helpers for the kernel tests: seeded random tensors and byte-exact
 * comparison. Not used by the kernels themselves.
 */

/** n f32 values uniform in [-scale, scale) from a seeded xorshift32 generator. */
export function randomF32(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** The bit patterns of an f32 array, for byte-exact assert.deepEqual. */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length).slice();
}

/** Sizes that exercise every tail length of the 8-lane dot and the 4-row blocks. */
export const ODD_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129] as const;

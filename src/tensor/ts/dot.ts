/**
 * The canonical dot product, the one reduction order every Concord kernel
 * uses over an input dimension (docs/kernels.md):
 *
 *   acc[l] = 0 for l in 0..7; for each full block j = 0, 8, 16, ...:
 *     acc[l] = f32(acc[l] + f32(a[j+l] * b[j+l]))
 *   s = ((acc0+acc4) + (acc2+acc6)) + ((acc1+acc5) + (acc3+acc7))   (every + in f32)
 *   then the n mod 8 tail elements in order: s = f32(s + f32(a[j] * b[j]))
 *
 * These are exactly two f32x4 accumulators in WebAssembly SIMD (lanes 0-3 and
 * 4-7), combined by one f32x4.add, one shuffle-add and one scalar add.
 */

const fround = Math.fround;

/** Canonical dot of a[aOff .. aOff+n) and b[bOff .. bOff+n), as an f32 value. */
export function dotAt(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let a4 = 0;
  let a5 = 0;
  let a6 = 0;
  let a7 = 0;
  const n8 = n - (n % 8);
  for (let j = 0; j < n8; j += 8) {
    const p = aOff + j;
    const q = bOff + j;
    a0 = fround(a0 + fround(a[p]! * b[q]!));
    a1 = fround(a1 + fround(a[p + 1]! * b[q + 1]!));
    a2 = fround(a2 + fround(a[p + 2]! * b[q + 2]!));
    a3 = fround(a3 + fround(a[p + 3]! * b[q + 3]!));
    a4 = fround(a4 + fround(a[p + 4]! * b[q + 4]!));
    a5 = fround(a5 + fround(a[p + 5]! * b[q + 5]!));
    a6 = fround(a6 + fround(a[p + 6]! * b[q + 6]!));
    a7 = fround(a7 + fround(a[p + 7]! * b[q + 7]!));
  }
  let s = combineLanes(a0, a1, a2, a3, a4, a5, a6, a7);
  for (let j = n8; j < n; j++) s = fround(s + fround(a[aOff + j]! * b[bOff + j]!));
  return s;
}

/** Canonical sum of n elements of a starting at off, `stride` apart: the canonical dot with ones. */
export function sumStridedAt(a: Float32Array, off: number, stride: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let a4 = 0;
  let a5 = 0;
  let a6 = 0;
  let a7 = 0;
  const n8 = n - (n % 8);
  for (let j = 0; j < n8; j += 8) {
    const p = off + j * stride;
    a0 = fround(a0 + a[p]!);
    a1 = fround(a1 + a[p + stride]!);
    a2 = fround(a2 + a[p + 2 * stride]!);
    a3 = fround(a3 + a[p + 3 * stride]!);
    a4 = fround(a4 + a[p + 4 * stride]!);
    a5 = fround(a5 + a[p + 5 * stride]!);
    a6 = fround(a6 + a[p + 6 * stride]!);
    a7 = fround(a7 + a[p + 7 * stride]!);
  }
  let s = combineLanes(a0, a1, a2, a3, a4, a5, a6, a7);
  for (let j = n8; j < n; j++) s = fround(s + a[off + j * stride]!);
  return s;
}

/** The fixed lane-combine tree of the canonical dot. */
export function combineLanes(
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  a4: number,
  a5: number,
  a6: number,
  a7: number,
): number {
  return fround(fround(fround(a0 + a4) + fround(a2 + a6)) + fround(fround(a1 + a5) + fround(a3 + a7)));
}

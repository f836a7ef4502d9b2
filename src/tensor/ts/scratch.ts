/**
 * One reusable scratch buffer for the TypeScript kernels that transpose an
 * operand, grown on demand so that repeated calls do not allocate.
 */
let scratch = new Float32Array(0);

/** A Float32Array view of at least `n` scratch elements starting at element `offset` of the scratch. */
export function scratchF32(offset: number, n: number): Float32Array {
  if (scratch.length < offset + n) {
    const grown = new Float32Array(Math.max(offset + n, scratch.length * 2));
    grown.set(scratch);
    scratch = grown;
  }
  return scratch.subarray(offset, offset + n);
}

/** Writes the transpose of `src` (rows, cols) into `dst` (cols, rows). */
export function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[o + c]!;
  }
}

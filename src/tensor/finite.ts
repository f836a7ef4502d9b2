import { assertFinite } from '../core/tensorChecks.ts';

/**
 * Throws core's TensorNonFiniteError if x holds NaN or +-Inf. Kernels do not
 * scan their inputs (that would cost as much as the kernel itself); call this
 * where data crosses a boundary that the core codec does not already guard,
 * e.g. before hashing a freshly computed result.
 */
export function assertFiniteF32(x: Float32Array): void {
  assertFinite({ dtype: 'f32', shape: [x.length], data: x });
}

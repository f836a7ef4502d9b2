import { TensorBigEndianHostError } from './codecErrors.ts';
import type { DType, Tensor } from './tensor.ts';
import { DTYPE_ARRAY } from './tensorChecks.ts';

/**
 * Moves tensor data between typed arrays and little-endian bytes. Typed arrays
 * use the host's byte order, so both directions are plain memory copies on
 * the little-endian hosts Concord supports (checked when this module loads).
 */

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new TensorBigEndianHostError();

/** Returns the little-endian bytes of `t`'s data as a view (no copy). */
export function tensorDataBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Copies little-endian `bytes` into a fresh, correctly aligned typed array for
 * `dtype` and returns the tensor. The caller has checked that `bytes.length`
 * is the shape's element count times the dtype size.
 */
export function tensorFromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array): Tensor {
  const data = new DTYPE_ARRAY[dtype](bytes.length / DTYPE_ARRAY[dtype].BYTES_PER_ELEMENT);
  new Uint8Array(data.buffer).set(bytes);
  return { dtype, shape, data } as Tensor;
}

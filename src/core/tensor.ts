/**
 * The tensor value every layer of Concord passes around: a dtype, a shape and
 * a typed array of little-endian data. f16 and bf16 are carried as their raw
 * 16-bit patterns in a Uint16Array.
 */
export type DType = 'f32' | 'f16' | 'bf16' | 'i8' | 'i32';

/** The typed array that holds each dtype's elements. */
export type TensorData<D extends DType = DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f16' | 'bf16'
    ? Uint16Array
    : D extends 'i8'
      ? Int8Array
      : D extends 'i32'
        ? Int32Array
        : never;

export type Tensor<D extends DType = DType> = {
  dtype: D;
  /** Dimensions, outermost first; `[]` is a scalar. */
  shape: readonly number[];
  data: TensorData<D>;
};

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = { f32: 4, f16: 2, bf16: 2, i8: 1, i32: 4 };

/** Number of elements a shape holds (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

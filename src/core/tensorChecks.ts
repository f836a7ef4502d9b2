import {
  TensorDataLengthMismatchError,
  TensorDataTypeMismatchError,
  TensorInvalidDimensionError,
  TensorNonFiniteError,
  TensorRankTooLargeError,
  TensorTooLargeError,
  TensorUnknownDtypeError,
} from './codecErrors.ts';
import { MAX_TENSOR_DATA_BYTES, MAX_TENSOR_DIM, MAX_TENSOR_RANK } from './limits.ts';
import { DTYPE_SIZE, type DType, type Tensor } from './tensor.ts';

/**
 * Validation every tensor encoding shares: known dtype, matching typed array,
 * a shape within the limits, data of the right length, and finite values.
 */

/** The typed array constructor that holds each dtype's elements. */
export const DTYPE_ARRAY = {
  f32: Float32Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i8: Int8Array,
  i32: Int32Array,
} as const satisfies Record<DType, unknown>;

/** True when `value` names one of Concord's dtypes. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_ARRAY, value);
}

/**
 * Checks rank, dimensions and data size of `shape` for `dtype` against the
 * limits (before anything is allocated) and returns the element count.
 */
export function checkShape(
  shape: readonly number[],
  dtype: DType,
  maxDataBytes = MAX_TENSOR_DATA_BYTES,
): number {
  if (shape.length > MAX_TENSOR_RANK) throw new TensorRankTooLargeError(shape.length, MAX_TENSOR_RANK);
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (dim === undefined || !Number.isInteger(dim) || dim < 0 || dim > MAX_TENSOR_DIM) {
      throw new TensorInvalidDimensionError(i, dim, MAX_TENSOR_DIM);
    }
    count *= dim;
  }
  // With every dimension >= 1 the partial products never exceed the final one, so `count` is exact when
  // it is within the limit; with a zero dimension it is exactly 0.
  const bytes = count * DTYPE_SIZE[dtype];
  if (bytes > maxDataBytes) throw new TensorTooLargeError(bytes, maxDataBytes);
  return count;
}

/**
 * Asserts that `t` is a well-formed tensor Concord can encode: a known dtype,
 * the matching typed array, a shape within the limits, data of exactly the
 * shape's element count, and (for float dtypes) no NaN or ±Infinity.
 */
export function assertTensor(t: Tensor, maxDataBytes = MAX_TENSOR_DATA_BYTES): void {
  if (!isDType(t.dtype)) throw new TensorUnknownDtypeError(String(t.dtype));
  const expected = DTYPE_ARRAY[t.dtype];
  if (!(t.data instanceof expected)) {
    throw new TensorDataTypeMismatchError(t.dtype, expected.name, describeData(t.data));
  }
  const count = checkShape(t.shape, t.dtype, maxDataBytes);
  if (t.data.length !== count) throw new TensorDataLengthMismatchError(t.data.length, count, t.shape);
  assertFinite(t);
}

function describeData(data: unknown): string {
  if (data === null || typeof data !== 'object') return typeof data;
  return data.constructor?.name ?? 'object';
}

/**
 * Throws `TensorNonFiniteError` if a float tensor holds NaN or ±Infinity
 * (for f16 and bf16 the bit patterns with an all-ones exponent). Integer
 * tensors always pass. Negative zero is finite and passes.
 */
export function assertFinite(t: Tensor): void {
  const index = firstNonFinite(t);
  if (index === -1) return;
  const value =
    t.dtype === 'f32' ? String(t.data[index]) : `0x${(t.data[index] ?? 0).toString(16).padStart(4, '0')}`;
  throw new TensorNonFiniteError(t.dtype, index, value);
}

/**
 * How to spot a non-finite element of each float dtype from its bits: the
 * exponent bits of every element packed in a 32-bit word, the increment that
 * carries an all-ones exponent (and only that) into the element's sign bit,
 * those sign bits, and the exponent mask of one element.
 */
type FloatBits = { wordMask: number; increment: number; signs: number; exponent: number };

const FLOAT_BITS: Partial<Record<DType, FloatBits>> = {
  f32: { wordMask: 0x7f80_0000, increment: 0x0080_0000, signs: 0x8000_0000, exponent: 0x7f80_0000 },
  f16: { wordMask: 0x7c00_7c00, increment: 0x0400_0400, signs: 0x8000_8000, exponent: 0x7c00 },
  bf16: { wordMask: 0x7f80_7f80, increment: 0x0080_0080, signs: 0x8000_8000, exponent: 0x7f80 },
};

/** Returns the index of the first NaN/±Infinity element of `t`, or -1. */
function firstNonFinite(t: Tensor): number {
  const rule = FLOAT_BITS[t.dtype];
  if (rule === undefined) return -1;
  const data = t.data;
  // Elements as unsigned bit patterns (f32 reinterpreted; f16/bf16 already are).
  const bits = t.dtype === 'f32' ? new Uint32Array(data.buffer, data.byteOffset, data.length) : data;
  let from = 0;
  if (data.byteOffset % 4 === 0) {
    // Fast path: test whole 32-bit words without branches, then only the elements left over.
    const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
    if (wordsAreFinite(words, rule)) from = (words.length * 4) / data.BYTES_PER_ELEMENT;
  }
  for (let i = from; i < bits.length; i++) {
    if ((bits[i]! & rule.exponent) === rule.exponent) return i;
  }
  return -1;
}

/** True when no element packed in `words` has an all-ones exponent. */
function wordsAreFinite(words: Uint32Array, rule: FloatBits): boolean {
  const { wordMask, increment } = rule;
  let seen = 0;
  for (let i = 0; i < words.length; i++) seen |= (words[i]! & wordMask) + increment;
  return (seen & rule.signs) === 0;
}

import {
  TensorEncodingBadMagicError,
  TensorEncodingTrailingBytesError,
  TensorEncodingTruncatedError,
  TensorEncodingUnknownDtypeError,
  TensorRankTooLargeError,
} from './codecErrors.ts';
import { MAX_TENSOR_DATA_BYTES, MAX_TENSOR_RANK } from './limits.ts';
import { DTYPE_SIZE, type DType, type Tensor } from './tensor.ts';
import { tensorDataBytes, tensorFromBytes } from './tensorBytes.ts';
import { assertFinite, assertTensor, checkShape } from './tensorChecks.ts';

/**
 * The canonical byte encoding of a tensor, the form whose digest nodes vote on:
 *
 * ```
 * offset 0   4 bytes  magic "CCT1"
 * offset 4   1 byte   dtype code: 1=f32 2=f16 3=bf16 4=i8 5=i32
 * offset 5   1 byte   rank r (0..8)
 * offset 6   4r bytes each dimension as u32 little-endian, outermost first
 * then                the elements, row-major, little-endian, no padding
 * ```
 *
 * Exactly one byte string encodes each tensor value: the length is fixed by
 * the header, trailing bytes are rejected, and NaN/±Infinity (whose payloads
 * could differ) are rejected on encode and decode. Negative zero is kept as
 * is: it is a distinct, valid IEEE value, so `-0` and `+0` tensors have
 * different encodings and digests.
 */

export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './halfFloat.ts';
export { assertFinite } from './tensorChecks.ts';

/** The four bytes every encoded tensor starts with: ASCII "CCT1". */
export const TENSOR_MAGIC: readonly number[] = [0x43, 0x43, 0x54, 0x31];

/** The dtype code byte of each dtype. */
export const DTYPE_CODE: Readonly<Record<DType, number>> = { f32: 1, f16: 2, bf16: 3, i8: 4, i32: 5 };

const DTYPE_BY_CODE: ReadonlyMap<number, DType> = new Map(
  Object.entries(DTYPE_CODE).map(([dtype, code]) => [code, dtype as DType]),
);

const FIXED_HEADER_BYTES = 6;

/** Options of `decodeTensor`. */
export type DecodeTensorOptions = {
  /** Largest data payload accepted, in bytes; defaults to `MAX_TENSOR_DATA_BYTES` (1 GiB). */
  maxDataBytes?: number;
};

/**
 * Returns the canonical bytes of `t`. Throws if the tensor is malformed
 * (unknown dtype, wrong typed array, bad shape, wrong data length), exceeds
 * the limits, or holds NaN/±Infinity.
 */
export function encodeTensor(t: Tensor): Uint8Array {
  assertTensor(t);
  const headerBytes = FIXED_HEADER_BYTES + 4 * t.shape.length;
  const out = new Uint8Array(headerBytes + t.data.byteLength);
  out.set(TENSOR_MAGIC, 0);
  out[4] = DTYPE_CODE[t.dtype];
  out[5] = t.shape.length;
  const view = new DataView(out.buffer);
  for (const [i, dim] of t.shape.entries()) view.setUint32(FIXED_HEADER_BYTES + 4 * i, dim, true);
  out.set(tensorDataBytes(t), headerBytes);
  return out;
}

/**
 * Decodes canonical tensor bytes made by `encodeTensor`. Every header field
 * and the size limit are checked before the data is allocated; the data is
 * copied into a fresh aligned array, so the result does not alias `bytes`.
 */
export function decodeTensor(bytes: Uint8Array, options: DecodeTensorOptions = {}): Tensor {
  if (bytes.length < FIXED_HEADER_BYTES)
    throw new TensorEncodingTruncatedError(bytes.length, FIXED_HEADER_BYTES);
  if (TENSOR_MAGIC.some((b, i) => bytes[i] !== b)) throw new TensorEncodingBadMagicError();
  const code = bytes[4]!;
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) throw new TensorEncodingUnknownDtypeError(code);
  const rank = bytes[5]!;
  if (rank > MAX_TENSOR_RANK) throw new TensorRankTooLargeError(rank, MAX_TENSOR_RANK);
  const headerBytes = FIXED_HEADER_BYTES + 4 * rank;
  if (bytes.length < headerBytes) throw new TensorEncodingTruncatedError(bytes.length, headerBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(FIXED_HEADER_BYTES + 4 * i, true));
  const count = checkShape(shape, dtype, options.maxDataBytes ?? MAX_TENSOR_DATA_BYTES);
  const total = headerBytes + count * DTYPE_SIZE[dtype];
  if (bytes.length < total) throw new TensorEncodingTruncatedError(bytes.length, total);
  if (bytes.length > total) throw new TensorEncodingTrailingBytesError(bytes.length, total);
  const t = tensorFromBytes(dtype, shape, bytes.subarray(headerBytes, total));
  assertFinite(t);
  return t;
}

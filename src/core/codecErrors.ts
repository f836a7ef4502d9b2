import { BaseError } from './errors.ts';

/**
 * Errors of the tensor codec (`codec.ts`) and of tensor validation shared by
 * every tensor encoding: a tensor that is malformed, too large or not finite,
 * and canonical bytes that do not follow the format.
 */

/** A tensor has a dtype Concord does not know. */
export class TensorUnknownDtypeError extends BaseError {
  override name = 'TensorUnknownDtypeError';
  constructor(dtype: string) {
    super(`Tensor dtype "${dtype}" is not supported.`, { hint: 'Use one of f32, f16, bf16, i8, i32.' });
  }
}

/** A tensor's data array is not the typed array its dtype requires. */
export class TensorDataTypeMismatchError extends BaseError {
  override name = 'TensorDataTypeMismatchError';
  constructor(dtype: string, expected: string, actual: string) {
    super(`A ${dtype} tensor must hold its data in a ${expected}, got ${actual}.`, {
      hint: 'f32 uses Float32Array, f16 and bf16 Uint16Array (raw bits), i8 Int8Array, i32 Int32Array.',
    });
  }
}

/** A tensor has more dimensions than `MAX_TENSOR_RANK`. */
export class TensorRankTooLargeError extends BaseError {
  override name = 'TensorRankTooLargeError';
  constructor(rank: number, max: number) {
    super(`Tensor rank ${rank} exceeds the maximum of ${max}.`, {
      hint: 'Reshape the tensor to fewer dimensions.',
    });
  }
}

/** A dimension is not an integer in [0, MAX_TENSOR_DIM]. */
export class TensorInvalidDimensionError extends BaseError {
  override name = 'TensorInvalidDimensionError';
  constructor(index: number, value: unknown, max: number) {
    super(`Tensor dimension ${index} is ${String(value)}, not an integer in [0, ${max}].`, {
      hint: 'Every dimension must be a non-negative integer.',
    });
  }
}

/** A tensor's data would exceed the byte limit. */
export class TensorTooLargeError extends BaseError {
  override name = 'TensorTooLargeError';
  constructor(bytes: number, max: number) {
    super(`Tensor data of ${bytes} bytes exceeds the limit of ${max} bytes.`, {
      hint: 'Split the tensor into smaller shards.',
    });
  }
}

/** A tensor's data length does not match the element count of its shape. */
export class TensorDataLengthMismatchError extends BaseError {
  override name = 'TensorDataLengthMismatchError';
  constructor(length: number, expected: number, shape: readonly number[]) {
    super(`Tensor data has ${length} elements but shape [${shape.join(', ')}] needs ${expected}.`, {
      hint: 'Make the data length equal to the product of the dimensions.',
    });
  }
}

/** A float tensor holds NaN or ±Infinity, which no consensus path accepts. */
export class TensorNonFiniteError extends BaseError {
  override name = 'TensorNonFiniteError';
  /** Index (row-major) of the first non-finite element. */
  readonly index: number;
  constructor(dtype: string, index: number, value: string) {
    super(`The ${dtype} tensor holds a non-finite value (${value}) at element ${index}.`, {
      hint: 'NaN and ±Infinity are rejected at every boundary; fix the computation that produced them.',
    });
    this.index = index;
  }
}

/** Encoded tensor bytes do not start with the `CCT1` magic. */
export class TensorEncodingBadMagicError extends BaseError {
  override name = 'TensorEncodingBadMagicError';
  constructor() {
    super('The bytes are not an encoded tensor: they do not start with the magic "CCT1".', {
      hint: 'Decode only bytes made by encodeTensor.',
    });
  }
}

/** Encoded tensor bytes carry an unknown dtype code. */
export class TensorEncodingUnknownDtypeError extends BaseError {
  override name = 'TensorEncodingUnknownDtypeError';
  constructor(code: number) {
    super(`Encoded tensor has unknown dtype code ${code}.`, {
      hint: 'Codes are 1=f32, 2=f16, 3=bf16, 4=i8, 5=i32; the bytes may be corrupt or from a newer version.',
    });
  }
}

/** Encoded tensor bytes end before the header or data they declare. */
export class TensorEncodingTruncatedError extends BaseError {
  override name = 'TensorEncodingTruncatedError';
  constructor(length: number, needed: number) {
    super(`Encoded tensor is ${length} bytes long but needs ${needed}.`, {
      hint: 'The bytes were cut short; fetch the blob again.',
    });
  }
}

/** Encoded tensor bytes continue after the data they declare. */
export class TensorEncodingTrailingBytesError extends BaseError {
  override name = 'TensorEncodingTrailingBytesError';
  constructor(length: number, expected: number) {
    super(`Encoded tensor is ${length} bytes long but its header declares ${expected}.`, {
      hint: 'A canonical encoding has no trailing bytes; the blob is corrupt or was concatenated.',
    });
  }
}

/** The host stores numbers big-endian; the codecs copy memory as little-endian. */
export class TensorBigEndianHostError extends BaseError {
  override name = 'TensorBigEndianHostError';
  constructor() {
    super('This host is big-endian; Concord tensor encodings are little-endian.', {
      hint: 'Run Concord on a little-endian machine (x86-64, arm64).',
    });
  }
}

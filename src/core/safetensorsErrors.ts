import { BaseError } from './errors.ts';

/**
 * Errors of the safetensors reader and writer (`safetensors.ts`). Each names
 * one way a file can break the format, so callers and tests can tell them apart.
 */

/** Quotes a name for a message, shortened so a hostile 100 MB name cannot flood logs. */
function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}

const FIX_FILE = 'The file is corrupt or was not written by a safetensors writer; fetch or export it again.';

/** The file is shorter than the 8-byte header length prefix. */
export class SafetensorsTooShortError extends BaseError {
  override name = 'SafetensorsTooShortError';
  constructor(length: number) {
    super(`A safetensors file needs at least 8 bytes, got ${length}.`, { hint: FIX_FILE });
  }
}

/** The declared JSON header is larger than the limit. */
export class SafetensorsHeaderTooLargeError extends BaseError {
  override name = 'SafetensorsHeaderTooLargeError';
  constructor(length: bigint, max: number) {
    super(`The safetensors header declares ${length} bytes, above the limit of ${max}.`, {
      hint: 'Raise maxHeaderBytes only for files you trust.',
    });
  }
}

/** The declared JSON header extends past the end of the file. */
export class SafetensorsHeaderBeyondFileError extends BaseError {
  override name = 'SafetensorsHeaderBeyondFileError';
  constructor(length: bigint, available: number) {
    super(`The safetensors header declares ${length} bytes but only ${available} follow the prefix.`, {
      hint: FIX_FILE,
    });
  }
}

/** The JSON header is not UTF-8, not JSON, not an object, or an entry lacks the required fields. */
export class SafetensorsInvalidHeaderError extends BaseError {
  override name = 'SafetensorsInvalidHeaderError';
  constructor(problem: string, cause?: unknown) {
    super(`The safetensors header is invalid: ${problem}.`, { hint: FIX_FILE, cause });
  }
}

/** `__metadata__` is not an object mapping strings to strings. */
export class SafetensorsInvalidMetadataError extends BaseError {
  override name = 'SafetensorsInvalidMetadataError';
  constructor(problem: string, key?: string) {
    super(
      `The safetensors metadata is invalid: ${key === undefined ? '' : `entry ${quote(key)}: `}${problem}.`,
      {
        hint: '__metadata__ must map string keys to string values.',
      },
    );
  }
}

/** A tensor name appears twice in the header. */
export class SafetensorsDuplicateNameError extends BaseError {
  override name = 'SafetensorsDuplicateNameError';
  constructor(tensor: string, cause?: unknown) {
    super(`The safetensors header lists tensor ${quote(tensor)} more than once.`, {
      hint: FIX_FILE,
      cause,
    });
  }
}

/** A tensor name cannot be written (reserved, or not well-formed Unicode). */
export class SafetensorsInvalidNameError extends BaseError {
  override name = 'SafetensorsInvalidNameError';
  constructor(tensor: string, problem: string) {
    super(`Tensor name ${quote(tensor)} is invalid: ${problem}.`, {
      hint: 'Rename the tensor; "__metadata__" is reserved and names must be valid Unicode.',
    });
  }
}

/** A tensor's dtype is not one Concord supports. */
export class SafetensorsUnknownDtypeError extends BaseError {
  override name = 'SafetensorsUnknownDtypeError';
  constructor(tensor: string, dtype: string) {
    super(`Tensor ${quote(tensor)} has unsupported dtype ${dtype}.`, {
      hint: 'Concord reads F32, F16, BF16, I8 and I32; convert the model to one of them.',
    });
  }
}

/** A tensor's shape is not a list of at most 8 integers in [0, 2^32 - 1]. */
export class SafetensorsBadShapeError extends BaseError {
  override name = 'SafetensorsBadShapeError';
  constructor(tensor: string, problem: string) {
    super(`Tensor ${quote(tensor)} has an invalid shape: ${problem}.`, { hint: FIX_FILE });
  }
}

/** A tensor's data_offsets are not two integers with begin <= end <= data length. */
export class SafetensorsBadOffsetsError extends BaseError {
  override name = 'SafetensorsBadOffsetsError';
  constructor(tensor: string, problem: string) {
    super(`Tensor ${quote(tensor)} has invalid data_offsets: ${problem}.`, { hint: FIX_FILE });
  }
}

/** A tensor's byte range does not hold exactly shape x dtype size bytes. */
export class SafetensorsLengthMismatchError extends BaseError {
  override name = 'SafetensorsLengthMismatchError';
  constructor(tensor: string, length: bigint, expected: number) {
    super(`Tensor ${quote(tensor)} spans ${length} bytes but its shape and dtype need ${expected}.`, {
      hint: FIX_FILE,
    });
  }
}

/** Two tensors' byte ranges overlap. */
export class SafetensorsOverlapError extends BaseError {
  override name = 'SafetensorsOverlapError';
  constructor(tensor: string, previous: string) {
    super(`Tensor ${quote(tensor)} overlaps tensor ${quote(previous)}.`, { hint: FIX_FILE });
  }
}

/** Bytes between two tensors belong to none of them. */
export class SafetensorsGapError extends BaseError {
  override name = 'SafetensorsGapError';
  constructor(tensor: string, begin: bigint, expected: bigint) {
    super(`Tensor ${quote(tensor)} starts at ${begin}, leaving a gap after byte ${expected}.`, {
      hint: 'The data buffer must be packed without gaps, as Hugging Face requires.',
    });
  }
}

/** Bytes after the last tensor belong to none of them. */
export class SafetensorsTrailingBytesError extends BaseError {
  override name = 'SafetensorsTrailingBytesError';
  constructor(used: bigint, length: number) {
    super(`The tensors end at byte ${used} of a ${length}-byte data buffer.`, {
      hint: 'The data buffer must end with the last tensor; the file may be concatenated or corrupt.',
    });
  }
}

/** A float tensor in the file holds NaN or ±Infinity. */
export class SafetensorsNonFiniteError extends BaseError {
  override name = 'SafetensorsNonFiniteError';
  constructor(tensor: string, cause: unknown) {
    super(`Tensor ${quote(tensor)} holds NaN or Infinity.`, {
      hint: 'NaN and ±Infinity are rejected at every boundary; fix the model that produced them.',
      cause,
    });
  }
}

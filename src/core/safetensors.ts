import { assertFinite } from './codec.ts';
import { MAX_SAFETENSORS_HEADER_BYTES, MAX_TENSOR_DIM, MAX_TENSOR_RANK } from './limits.ts';
import {
  SafetensorsBadOffsetsError,
  SafetensorsBadShapeError,
  SafetensorsDuplicateNameError,
  SafetensorsGapError,
  SafetensorsHeaderBeyondFileError,
  SafetensorsHeaderTooLargeError,
  SafetensorsInvalidHeaderError,
  SafetensorsInvalidMetadataError,
  SafetensorsInvalidNameError,
  SafetensorsLengthMismatchError,
  SafetensorsNonFiniteError,
  SafetensorsOverlapError,
  SafetensorsTooShortError,
  SafetensorsTrailingBytesError,
  SafetensorsUnknownDtypeError,
} from './safetensorsErrors.ts';
import {
  hasLoneSurrogate,
  JsonDuplicateKeyError,
  type JsonObject,
  type JsonValue,
  parseStrictJson,
} from './strictJson.ts';
import { DTYPE_SIZE, type DType, shapeSize, type Tensor } from './tensor.ts';
import { tensorDataBytes, tensorFromBytes } from './tensorBytes.ts';
import { assertTensor } from './tensorChecks.ts';

/**
 * The Hugging Face safetensors format, for importing and exporting models:
 *
 * ```
 * 8 bytes   N, the JSON header length, u64 little-endian
 * N bytes   JSON: {"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
 * rest      the data buffer; offsets are relative to its start
 * ```
 *
 * The writer is deterministic: tensor names sorted by Unicode code point,
 * data packed in that order, metadata keys sorted, compact JSON, header padded
 * with spaces to a multiple of 8 bytes (so the data starts 8-byte aligned).
 * The reader is strict (see the errors in `safetensorsErrors.ts`) and copies
 * every tensor out of the file into its own aligned array.
 */

/** The tensors and metadata of a safetensors file. */
export type Safetensors = {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
};

/** Options of `decodeSafetensors`. */
export type DecodeSafetensorsOptions = {
  /** Largest JSON header accepted, in bytes; defaults to 100 MB like Hugging Face's reader. */
  maxHeaderBytes?: number;
};

const METADATA_KEY = '__metadata__';

const FORMAT_DTYPE: Readonly<Record<DType, string>> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  i8: 'I8',
  i32: 'I32',
};

const DTYPE_BY_FORMAT: ReadonlyMap<string, DType> = new Map(
  Object.entries(FORMAT_DTYPE).map(([dtype, name]) => [name, dtype as DType]),
);

/** Fields every tensor entry has, and no others. */
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'];

/**
 * Writes `tensors` (and optional string `metadata`) as a safetensors file.
 * Throws the tensor codec's errors for a malformed or non-finite tensor and
 * `SafetensorsInvalidNameError` for the reserved name or ill-formed Unicode.
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort(compareCodePoints);
  const entries: string[] = [];
  const metadataKeys = Object.keys(metadata).sort(compareCodePoints);
  if (metadataKeys.length > 0)
    entries.push(`${JSON.stringify(METADATA_KEY)}:${metadataJson(metadata, metadataKeys)}`);
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsInvalidNameError(name, 'it is reserved for the metadata');
    if (hasLoneSurrogate(name)) throw new SafetensorsInvalidNameError(name, 'it holds a lone surrogate');
    const t = tensors[name]!;
    assertTensor(t);
    const end = offset + t.data.byteLength;
    const shape = t.shape.join(',');
    entries.push(
      `${JSON.stringify(name)}:{"dtype":"${FORMAT_DTYPE[t.dtype]}","shape":[${shape}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.fill(0x20, 8, 8 + headerBytes);
  out.set(json, 8);
  let at = 8 + headerBytes;
  for (const name of names) {
    const bytes = tensorDataBytes(tensors[name]!);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function metadataJson(metadata: Record<string, string>, keys: readonly string[]): string {
  const pairs = keys.map((key) => {
    const value = metadata[key];
    if (typeof value !== 'string')
      throw new SafetensorsInvalidMetadataError('the value is not a string', key);
    if (hasLoneSurrogate(key) || hasLoneSurrogate(value)) {
      throw new SafetensorsInvalidMetadataError('it holds a lone surrogate', key);
    }
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${pairs.join(',')}}`;
}

/** A tensor entry of the header after validation. */
type Entry = { name: string; dtype: DType; shape: number[]; begin: bigint; end: bigint };

/**
 * Reads a safetensors file. Validates, before copying any data: the header
 * size limit and length, UTF-8 and strict JSON, the entry structure, dtypes,
 * shapes, offsets in range and not reversed, byte lengths matching
 * shape x dtype size, no overlaps, no gaps, no trailing bytes, no duplicate
 * names; then rejects NaN/±Infinity in float tensors.
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeSafetensorsOptions = {}): Safetensors {
  if (bytes.length < 8) throw new SafetensorsTooShortError(bytes.length);
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_SAFETENSORS_HEADER_BYTES;
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerBytes > BigInt(maxHeaderBytes))
    throw new SafetensorsHeaderTooLargeError(headerBytes, maxHeaderBytes);
  if (headerBytes > BigInt(bytes.length - 8))
    throw new SafetensorsHeaderBeyondFileError(headerBytes, bytes.length - 8);
  const dataStart = 8 + Number(headerBytes);
  const header = parseHeader(bytes.subarray(8, dataStart));
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of header) {
    if (name === METADATA_KEY) readMetadata(value, metadata);
    else entries.push(readEntry(name, value, BigInt(dataLength)));
  }
  checkPacking(entries, dataLength);
  const tensors: Record<string, Tensor> = {};
  for (const entry of entries) {
    const t = tensorFromBytes(
      entry.dtype,
      entry.shape,
      bytes.subarray(dataStart + Number(entry.begin), dataStart + Number(entry.end)),
    );
    try {
      assertFinite(t);
    } catch (err) {
      throw new SafetensorsNonFiniteError(entry.name, err);
    }
    defineEntry(tensors, entry.name, t);
  }
  return { tensors, metadata };
}

function parseHeader(bytes: Uint8Array): JsonObject {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new SafetensorsInvalidHeaderError('it is not valid UTF-8', err);
  }
  if (!text.startsWith('{')) throw new SafetensorsInvalidHeaderError('it does not start with "{"');
  let header: JsonValue;
  try {
    header = parseStrictJson(text, { maxDepth: 3 });
  } catch (err) {
    if (err instanceof JsonDuplicateKeyError && err.depth === 1)
      throw new SafetensorsDuplicateNameError(err.key, err);
    throw new SafetensorsInvalidHeaderError('it is not valid JSON', err);
  }
  // A JSON text that starts with "{" and parses is an object.
  return header as JsonObject;
}

function readMetadata(value: JsonValue, out: Record<string, string>): void {
  if (!(value instanceof Map)) throw new SafetensorsInvalidMetadataError('it is not an object');
  for (const [key, item] of value) {
    if (typeof item !== 'string') throw new SafetensorsInvalidMetadataError('the value is not a string', key);
    defineEntry(out, key, item);
  }
}

function readEntry(name: string, value: JsonValue, dataLength: bigint): Entry {
  if (!(value instanceof Map))
    throw new SafetensorsInvalidHeaderError(`the entry of "${name}" is not an object`);
  const fields = [...value.keys()];
  if (fields.length !== ENTRY_FIELDS.length || !ENTRY_FIELDS.every((f) => value.has(f))) {
    throw new SafetensorsInvalidHeaderError(
      `the entry of "${name}" must have exactly ${ENTRY_FIELDS.join(', ')}`,
    );
  }
  const format = value.get('dtype');
  const dtype = typeof format === 'string' ? DTYPE_BY_FORMAT.get(format) : undefined;
  if (dtype === undefined) throw new SafetensorsUnknownDtypeError(name, describe(format));
  const shape = readShape(name, value.get('shape')!);
  const [begin, end] = readOffsets(name, value.get('data_offsets')!, dataLength);
  const expected = shapeSize(shape) * DTYPE_SIZE[dtype];
  // `expected` is exact unless it exceeds 2^53, and then it cannot equal a length within the file.
  if (Number(end - begin) !== expected) {
    throw new SafetensorsLengthMismatchError(name, end - begin, expected);
  }
  return { name, dtype, shape, begin, end };
}

function readShape(name: string, value: JsonValue): number[] {
  if (!Array.isArray(value)) throw new SafetensorsBadShapeError(name, 'it is not a list');
  if (value.length > MAX_TENSOR_RANK)
    throw new SafetensorsBadShapeError(name, `rank above ${MAX_TENSOR_RANK}`);
  return value.map((dim) => {
    if (typeof dim !== 'bigint' || dim < 0n || dim > BigInt(MAX_TENSOR_DIM)) {
      throw new SafetensorsBadShapeError(
        name,
        `dimension ${describe(dim)} is not an integer in [0, ${MAX_TENSOR_DIM}]`,
      );
    }
    return Number(dim);
  });
}

function readOffsets(name: string, value: JsonValue, dataLength: bigint): [bigint, bigint] {
  if (!Array.isArray(value) || value.length !== 2) throw new SafetensorsBadOffsetsError(name, 'not a pair');
  const [begin, end] = value;
  if (typeof begin !== 'bigint' || typeof end !== 'bigint' || begin < 0n) {
    throw new SafetensorsBadOffsetsError(name, 'they are not non-negative integers');
  }
  if (end < begin) throw new SafetensorsBadOffsetsError(name, `end ${end} is before begin ${begin}`);
  if (end > dataLength)
    throw new SafetensorsBadOffsetsError(name, `end ${end} is past the data (${dataLength} bytes)`);
  return [begin, end];
}

/** Checks that the tensors tile the data buffer exactly: no overlap, no gap, no trailing bytes. */
function checkPacking(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort(
    (a, b) => compareBigints(a.begin, b.begin) || compareBigints(a.end, b.end),
  );
  let next = 0n;
  let previous = '';
  for (const entry of sorted) {
    if (entry.begin < next) throw new SafetensorsOverlapError(entry.name, previous);
    if (entry.begin > next) throw new SafetensorsGapError(entry.name, entry.begin, next);
    next = entry.end;
    previous = entry.name;
  }
  if (next !== BigInt(dataLength)) throw new SafetensorsTrailingBytesError(next, dataLength);
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders strings by Unicode code point, which is also the order of their
 * UTF-8 bytes (plain `<` compares UTF-16 units, which differs above U+FFFF).
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800..DFFF) above U+E000..FFFF so UTF-16 units sort in code point order. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Sets `record[key]` as an own property, even for the key `__proto__` (which assignment would not). */
function defineEntry<T>(record: Record<string, T>, key: string, value: T): void {
  if (key !== '__proto__') record[key] = value;
  else Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Names a JSON value briefly for an error message. */
function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Map) return 'an object';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return String(value);
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeTensor, encodeTensor } from './codec.ts';
import { BaseError } from './errors.ts';
import { MAX_TENSOR_DATA_BYTES } from './limits.ts';
import type { Tensor } from './tensor.ts';
import { ALL_DTYPES, arbTensor, makeTensor } from './testTensors.ts';

const bytesOf = (...values: number[]) => Uint8Array.from(values);
const MAGIC = [0x43, 0x43, 0x54, 0x31];

function assertSameTensor(actual: Tensor, expected: Tensor): void {
  assert.equal(actual.dtype, expected.dtype);
  assert.deepEqual([...actual.shape], [...expected.shape]);
  assert.equal(actual.data.constructor, expected.data.constructor);
  // Compare bit patterns so that -0 and +0 count as different.
  const bits = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  assert.deepEqual(bits(actual), bits(expected));
}

test('encodes a known f32 tensor byte for byte', () => {
  const bytes = encodeTensor({ dtype: 'f32', shape: [2], data: Float32Array.of(1, -2) });
  assert.deepEqual(bytes, bytesOf(...MAGIC, 1, 1, 2, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0));
});

test('encodes a scalar and a zero-size tensor with the header only carrying their shapes', () => {
  assert.deepEqual(
    encodeTensor({ dtype: 'i8', shape: [], data: Int8Array.of(-1) }),
    bytesOf(...MAGIC, 4, 0, 0xff),
  );
  assert.deepEqual(
    encodeTensor({ dtype: 'i32', shape: [3, 0], data: new Int32Array(0) }),
    bytesOf(...MAGIC, 5, 2, 3, 0, 0, 0, 0, 0, 0, 0),
  );
});

for (const dtype of ALL_DTYPES) {
  test(`${dtype}: decode(encode(t)) equals t and re-encodes to identical bytes`, () => {
    fc.assert(
      fc.property(arbTensor(dtype), (t) => {
        const bytes = encodeTensor(t);
        const decoded = decodeTensor(bytes);
        assertSameTensor(decoded, t);
        assert.deepEqual(encodeTensor(decoded), bytes);
      }),
      { numRuns: 200 },
    );
  });
}

test('negative zero is kept and encodes differently from positive zero', () => {
  const negative = encodeTensor({ dtype: 'f32', shape: [1], data: Float32Array.of(-0) });
  const positive = encodeTensor({ dtype: 'f32', shape: [1], data: Float32Array.of(0) });
  assert.notDeepEqual(negative, positive);
  assert.ok(Object.is(decodeTensor(negative).data[0], -0));
});

test('decodes from an unaligned view into data that does not alias the input', () => {
  const bytes = encodeTensor({ dtype: 'f32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) });
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes, 1);
  const t = decodeTensor(padded.subarray(1));
  assert.deepEqual([...t.data], [1, 2, 3, 4]);
  padded[padded.length - 1] = 0;
  assert.equal(t.data[3], 4);
});

const nonFinite: Array<[Tensor['dtype'], number[], string]> = [
  ['f32', [Number.NaN], 'NaN'],
  ['f32', [Number.POSITIVE_INFINITY], '+Inf'],
  ['f32', [Number.NEGATIVE_INFINITY], '-Inf'],
  ['f16', [0x7e00], 'NaN'],
  ['f16', [0x7c00], '+Inf'],
  ['f16', [0xfc00], '-Inf'],
  ['f16', [0x7c01], 'signalling NaN'],
  ['bf16', [0x7fc0], 'NaN'],
  ['bf16', [0x7f80], '+Inf'],
  ['bf16', [0xff80], '-Inf'],
  ['bf16', [0xff81], 'negative NaN'],
];
for (const [dtype, values, label] of nonFinite) {
  test(`${dtype} ${label} is rejected on encode and on decode`, () => {
    const bad = makeTensor(dtype, [2], [0, ...values]);
    assert.throws(() => encodeTensor(bad), { name: 'TensorNonFiniteError' });
    const bytes = encodeTensor(makeTensor(dtype, [2], [0, 0]));
    const raw = new Uint8Array(bad.data.buffer);
    bytes.set(raw, bytes.length - raw.length);
    assert.throws(() => decodeTensor(bytes), { name: 'TensorNonFiniteError' });
  });
}

test('encode rejects an unknown dtype', () => {
  const t = { dtype: 'f64', shape: [1], data: Float32Array.of(1) } as unknown as Tensor;
  assert.throws(() => encodeTensor(t), { name: 'TensorUnknownDtypeError' });
});

test('encode rejects data in the wrong typed array', () => {
  const t = { dtype: 'f16', shape: [1], data: Float32Array.of(1) } as unknown as Tensor;
  assert.throws(() => encodeTensor(t), { name: 'TensorDataTypeMismatchError' });
});

test('encode rejects a data length that does not match the shape', () => {
  assert.throws(() => encodeTensor({ dtype: 'f32', shape: [2, 2], data: new Float32Array(3) }), {
    name: 'TensorDataLengthMismatchError',
  });
});

test('encode rejects rank above 8', () => {
  assert.throws(() => encodeTensor({ dtype: 'i8', shape: Array(9).fill(1), data: Int8Array.of(1) }), {
    name: 'TensorRankTooLargeError',
  });
});

test('encode rejects negative, fractional and too large dimensions', () => {
  for (const dim of [-1, 1.5, 2 ** 32, Number.NaN]) {
    assert.throws(() => encodeTensor({ dtype: 'i8', shape: [dim], data: new Int8Array(0) }), {
      name: 'TensorInvalidDimensionError',
    });
  }
});

test('encode rejects data above the size limit before looking at the data', () => {
  const elements = MAX_TENSOR_DATA_BYTES / 4 + 1;
  assert.throws(() => encodeTensor({ dtype: 'f32', shape: [elements], data: new Float32Array(0) }), {
    name: 'TensorTooLargeError',
  });
});

test('decode rejects bad magic, unknown dtype codes and rank above 8', () => {
  assert.throws(() => decodeTensor(bytesOf(0x43, 0x43, 0x54, 0x32, 4, 0, 1)), {
    name: 'TensorEncodingBadMagicError',
  });
  for (const code of [0, 6, 255]) {
    assert.throws(() => decodeTensor(bytesOf(...MAGIC, code, 0, 1, 0, 0, 0)), {
      name: 'TensorEncodingUnknownDtypeError',
    });
  }
  assert.throws(() => decodeTensor(bytesOf(...MAGIC, 4, 9, ...Array(36).fill(0))), {
    name: 'TensorRankTooLargeError',
  });
});

test('decode rejects truncated headers, truncated dimensions and truncated data', () => {
  assert.throws(() => decodeTensor(bytesOf(...MAGIC, 4)), { name: 'TensorEncodingTruncatedError' });
  assert.throws(() => decodeTensor(bytesOf(...MAGIC, 4, 2, 1, 0, 0, 0)), {
    name: 'TensorEncodingTruncatedError',
  });
  assert.throws(() => decodeTensor(bytesOf(...MAGIC, 4, 1, 3, 0, 0, 0, 1, 2)), {
    name: 'TensorEncodingTruncatedError',
  });
});

test('decode rejects trailing bytes', () => {
  assert.throws(() => decodeTensor(bytesOf(...MAGIC, 4, 0, 1, 2)), {
    name: 'TensorEncodingTrailingBytesError',
  });
});

test('decode rejects a declared size above the limit before allocating', () => {
  const huge = bytesOf(...MAGIC, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.throws(() => decodeTensor(huge), { name: 'TensorTooLargeError' });
  const small = encodeTensor({ dtype: 'f32', shape: [4], data: new Float32Array(4) });
  assert.throws(() => decodeTensor(small, { maxDataBytes: 15 }), { name: 'TensorTooLargeError' });
  assert.equal(decodeTensor(small, { maxDataBytes: 16 }).data.length, 4);
});

/** Decodes `bytes`; any failure must be a named BaseError, and anything accepted must be canonical. */
function decodeOrNamedError(bytes: Uint8Array): void {
  let t: Tensor;
  try {
    t = decodeTensor(bytes);
  } catch (err) {
    assert.ok(err instanceof BaseError, `unexpected ${String(err)}`);
    assert.notEqual(err.name, 'BaseError');
    return;
  }
  assert.deepEqual(encodeTensor(t), bytes);
}

test('fuzz: random bytes decode canonically or throw a named error', () => {
  const withMagic = fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.from([...MAGIC, ...tail]));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), withMagic), decodeOrNamedError), {
    numRuns: 2000,
  });
});

test('fuzz: mutated and truncated encodings decode canonically or throw a named error', () => {
  const mutation = fc.record({
    t: arbTensor(undefined, 3, 4),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.nat(),
    truncate: fc.boolean(),
  });
  fc.assert(
    fc.property(mutation, ({ t, edits, cut, truncate }) => {
      let bytes = encodeTensor(t);
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      if (truncate) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      decodeOrNamedError(bytes);
    }),
    { numRuns: 2000 },
  );
});

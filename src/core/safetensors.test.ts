import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BaseError } from './errors.ts';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { Tensor } from './tensor.ts';
import { arbTensor, makeTensor } from './testTensors.ts';

const text = (s: string) => [...new TextEncoder().encode(s)];

/** Builds a file from a header text (given length or its own) and data bytes. */
function file(header: string, data: number[] = [], declaredLength?: number): Uint8Array {
  const json = text(header);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  return Uint8Array.from([...prefix, ...json, ...data]);
}

/** A header with one entry per `[name, dtype, shape, begin, end]`. */
function header(...entries: Array<[string, string, unknown, unknown, unknown]>): string {
  const parts = entries.map(
    ([name, dtype, shape, begin, end]) =>
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`,
  );
  return `{${parts.join(',')}}`;
}

function assertSameTensors(actual: Record<string, Tensor>, expected: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    const a = actual[name]!;
    const e = expected[name]!;
    assert.equal(a.dtype, e.dtype);
    assert.deepEqual([...a.shape], [...e.shape]);
    assert.deepEqual(new Uint8Array(a.data.buffer), new Uint8Array(e.data.buffer.slice(0)));
  }
}

// The output of Hugging Face's Python `safetensors.numpy.save({"test": np.zeros((2, 2), dtype=np.int32)})`
// (its own test vector): 64-byte header padded with 4 spaces, then 16 zero bytes.
const HF_HEADER = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
const HF_FILE = Uint8Array.from([64, 0, 0, 0, 0, 0, 0, 0, ...text(`${HF_HEADER}    `), ...Array(16).fill(0)]);

test("encodes byte for byte what Hugging Face's writer produces", () => {
  const bytes = encodeSafetensors({ test: { dtype: 'i32', shape: [2, 2], data: new Int32Array(4) } });
  assert.deepEqual(bytes, HF_FILE);
});

test("decodes Hugging Face's padded and older unpadded files", () => {
  const padded = decodeSafetensors(HF_FILE);
  assert.deepEqual(Object.keys(padded.tensors), ['test']);
  assert.deepEqual(padded.metadata, {});
  const unpadded = file(HF_HEADER, [...Array(12).fill(0), 1, 0, 0, 0]);
  assert.equal(unpadded[0], 60);
  const t = decodeSafetensors(unpadded).tensors.test!;
  assert.equal(t.dtype, 'i32');
  assert.deepEqual([...t.shape], [2, 2]);
  assert.deepEqual([...t.data], [0, 0, 0, 1]);
});

test('encodes a hand-built vector with metadata and two dtypes byte for byte', () => {
  const json =
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I8","shape":[1,2],"data_offsets":[8,10]}}';
  assert.equal(json.length, 140); // padded with 4 spaces to 144 = 0x90
  const expected = Uint8Array.from([
    0x90,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...text(`${json}    `),
    0,
    0,
    0x80,
    0x3f,
    0,
    0,
    0,
    0xc0,
    0x01,
    0xff,
  ]);
  const tensors = {
    b: { dtype: 'i8', shape: [1, 2], data: Int8Array.of(1, -1) },
    a: { dtype: 'f32', shape: [2], data: Float32Array.of(1, -2) },
  } satisfies Record<string, Tensor>;
  assert.deepEqual(encodeSafetensors(tensors, { format: 'pt' }), expected);
  const decoded = decodeSafetensors(expected);
  assert.deepEqual(decoded.metadata, { format: 'pt' });
  assertSameTensors(decoded.tensors, tensors);
});

test('decodes tensors stored out of name order, with extra whitespace, from an unaligned view', () => {
  const json = ` {\n "z": {"shape": [1], "dtype": "F16", "data_offsets": [0, 2]},\t"a": {"dtype": "BF16", "shape": [], "data_offsets": [2, 4]} }`;
  const bytes = file(json.trimStart(), [0x00, 0x3c, 0x80, 0x3f]);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const { tensors } = decodeSafetensors(shifted.subarray(3));
  assert.equal(tensors.z!.data[0], 0x3c00);
  assert.equal(tensors.a!.data[0], 0x3f80);
  assert.deepEqual([...tensors.a!.shape], []);
});

const arbName = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
const arbFile = fc.record({
  tensors: fc.dictionary(arbName, arbTensor(undefined, 3, 4), { maxKeys: 5 }),
  metadata: fc.dictionary(arbName, fc.string({ unit: 'grapheme', maxLength: 8 }), { maxKeys: 3 }),
});

test('round-trips random tensors and metadata, and re-encodes to identical bytes', () => {
  fc.assert(
    fc.property(arbFile, ({ tensors, metadata }) => {
      fc.pre(!('__metadata__' in tensors));
      const bytes = encodeSafetensors(tensors, metadata);
      assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
      const decoded = decodeSafetensors(bytes);
      assertSameTensors(decoded.tensors, tensors);
      assert.deepEqual(decoded.metadata, { ...metadata });
      assert.deepEqual(encodeSafetensors(decoded.tensors, decoded.metadata), bytes);
    }),
    { numRuns: 300 },
  );
});

test('output does not depend on insertion order and sorts names by code point', () => {
  const t = makeTensor('i8', [1], [7]);
  const one = encodeSafetensors({ '\uffff': t, '😀': t, b: t, a: t });
  const two = encodeSafetensors({ a: t, '😀': t, b: t, '\uffff': t });
  assert.deepEqual(one, two);
  const json = new TextDecoder().decode(one.subarray(8, 8 + one[0]!));
  const order = ['"a"', '"b"', '"\uffff"', '"😀"'].map((name) => json.indexOf(name));
  assert.deepEqual(
    order,
    [...order].sort((x, y) => x - y),
  );
});

test('a tensor named __proto__ is plain data', () => {
  const tensors: Record<string, Tensor> = {};
  Object.defineProperty(tensors, '__proto__', { value: makeTensor('i8', [1], [5]), enumerable: true });
  const decoded = decodeSafetensors(encodeSafetensors(tensors));
  assert.ok(Object.hasOwn(decoded.tensors, '__proto__'));
  assert.equal(Object.getPrototypeOf(decoded.tensors), Object.prototype);
});

test('encode rejects the reserved name, lone surrogates and invalid tensors', () => {
  const t = makeTensor('i8', [1], [1]);
  assert.throws(() => encodeSafetensors({ __metadata__: t }), { name: 'SafetensorsInvalidNameError' });
  assert.throws(() => encodeSafetensors({ '\ud800': t }), { name: 'SafetensorsInvalidNameError' });
  assert.throws(() => encodeSafetensors({ a: t }, { k: '\udc00' }), {
    name: 'SafetensorsInvalidMetadataError',
  });
  const badMetadata = { k: 1 } as unknown as Record<string, string>;
  assert.throws(() => encodeSafetensors({ a: t }, badMetadata), { name: 'SafetensorsInvalidMetadataError' });
  assert.throws(() => encodeSafetensors({ a: makeTensor('f32', [1], [Number.NaN]) }), {
    name: 'TensorNonFiniteError',
  });
  assert.throws(() => encodeSafetensors({ a: makeTensor('f32', [2], [1]) }), {
    name: 'TensorDataLengthMismatchError',
  });
});

const ok = header(['a', 'I8', [2], 0, 2]);

test('rejects a file shorter than the length prefix', () => {
  assert.throws(() => decodeSafetensors(new Uint8Array(7)), { name: 'SafetensorsTooShortError' });
});

test('rejects a header above the size limit before reading it', () => {
  assert.throws(() => decodeSafetensors(file('{}', [], 100_000_001)), {
    name: 'SafetensorsHeaderTooLargeError',
  });
  const huge = new Uint8Array(8).fill(0xff);
  assert.throws(() => decodeSafetensors(huge), { name: 'SafetensorsHeaderTooLargeError' });
  assert.throws(() => decodeSafetensors(file(ok, [1, 2]), { maxHeaderBytes: 10 }), {
    name: 'SafetensorsHeaderTooLargeError',
  });
});

test('rejects a header length beyond the file', () => {
  assert.throws(() => decodeSafetensors(file('{}', [], 3)), { name: 'SafetensorsHeaderBeyondFileError' });
});

test('rejects a header that is not UTF-8, not JSON or not an object', () => {
  const cases = [
    Uint8Array.from([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xc3, 0x28, 0x7d]),
    Uint8Array.from([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0xff, 0x7d]),
    file('[]'),
    file(' {}'),
    file('\ufeff{}'),
    file('{"a":'),
    file('{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}} x', [1]),
    file('{"a":[1]}'),
    file('{"a":{"dtype":"I8","shape":[1]}}', [1]),
    file('{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1],"extra":1}}', [1]),
    file('{"a":{"dtype":"I8","dtype":"I8","shape":[1],"data_offsets":[0,1]}}', [1]),
    file('{"a":{"dtype":"I8","shape":[[[1]]],"data_offsets":[0,1]}}', [1]),
  ];
  for (const [i, bytes] of cases.entries()) {
    assert.throws(() => decodeSafetensors(bytes), { name: 'SafetensorsInvalidHeaderError' }, `case ${i}`);
  }
});

test('rejects metadata that is not a string-to-string object', () => {
  for (const metadata of ['[]', '"x"', '{"k":1}', '{"k":{"x":"y"}}']) {
    assert.throws(() => decodeSafetensors(file(`{"__metadata__":${metadata}}`)), {
      name: 'SafetensorsInvalidMetadataError',
    });
  }
});

test('rejects an unknown dtype', () => {
  for (const dtype of ['F64', 'U8', 'f32', 'BOOL']) {
    assert.throws(() => decodeSafetensors(file(header(['a', dtype, [2], 0, 2]), [1, 2])), {
      name: 'SafetensorsUnknownDtypeError',
    });
  }
  assert.throws(() => decodeSafetensors(file('{"a":{"dtype":1,"shape":[1],"data_offsets":[0,1]}}', [1])), {
    name: 'SafetensorsUnknownDtypeError',
  });
});

test('rejects shapes that are not lists of non-negative integers up to rank 8', () => {
  const shapes = [
    '"1"',
    '{}',
    '[-1]',
    '[1.5]',
    '[1.0]',
    '[1e0]',
    '["1"]',
    '[4294967296]',
    `[${Array(9).fill(1)}]`,
  ];
  for (const shape of shapes) {
    const entry = `{"a":{"dtype":"I8","shape":${shape},"data_offsets":[0,1]}}`;
    assert.throws(() => decodeSafetensors(file(entry, [1])), { name: 'SafetensorsBadShapeError' }, entry);
  }
});

test('rejects offsets that are not a pair, negative, fractional, reversed or out of range', () => {
  const offsets = ['[0]', '[0,1,2]', '"0,1"', '[-1,1]', '[0,1.0]', '[1,0]', '[0,3]'];
  for (const pair of offsets) {
    const entry = `{"a":{"dtype":"I8","shape":[1],"data_offsets":${pair}}}`;
    assert.throws(() => decodeSafetensors(file(entry, [1, 2])), { name: 'SafetensorsBadOffsetsError' }, pair);
  }
});

test('rejects a byte range that does not match shape x dtype size', () => {
  assert.throws(() => decodeSafetensors(file(header(['a', 'F32', [2], 0, 4]), [0, 0, 0, 0])), {
    name: 'SafetensorsLengthMismatchError',
  });
  const huge = header(['a', 'I8', [4294967295, 4294967295, 4294967295], 0, 1]);
  assert.throws(() => decodeSafetensors(file(huge, [1])), { name: 'SafetensorsLengthMismatchError' });
});

test('rejects overlapping tensors', () => {
  const json = header(['a', 'I8', [2], 0, 2], ['b', 'I8', [2], 1, 3]);
  assert.throws(() => decodeSafetensors(file(json, [1, 2, 3])), { name: 'SafetensorsOverlapError' });
  const inside = header(['a', 'I8', [4], 0, 4], ['b', 'I8', [0], 2, 2]);
  assert.throws(() => decodeSafetensors(file(inside, [1, 2, 3, 4])), { name: 'SafetensorsOverlapError' });
});

test('rejects gaps between tensors and before the first', () => {
  const json = header(['a', 'I8', [1], 0, 1], ['b', 'I8', [1], 2, 3]);
  assert.throws(() => decodeSafetensors(file(json, [1, 2, 3])), { name: 'SafetensorsGapError' });
  assert.throws(() => decodeSafetensors(file(header(['a', 'I8', [1], 1, 2]), [1, 2])), {
    name: 'SafetensorsGapError',
  });
});

test('rejects bytes after the last tensor, and data with no tensors', () => {
  assert.throws(() => decodeSafetensors(file(ok, [1, 2, 3])), { name: 'SafetensorsTrailingBytesError' });
  assert.throws(() => decodeSafetensors(file('{}', [0])), { name: 'SafetensorsTrailingBytesError' });
});

test('accepts zero-size tensors sharing an offset', () => {
  const json = header(['a', 'I8', [0], 0, 0], ['b', 'F32', [3, 0], 0, 0], ['c', 'I8', [1], 0, 1]);
  const { tensors } = decodeSafetensors(file(json, [9]));
  assert.equal(tensors.a!.data.length, 0);
  assert.equal(tensors.b!.data.length, 0);
  assert.equal(tensors.c!.data[0], 9);
});

test('rejects duplicate tensor names', () => {
  const json = header(['a', 'I8', [1], 0, 1], ['a', 'I8', [1], 1, 2]);
  assert.throws(() => decodeSafetensors(file(json, [1, 2])), { name: 'SafetensorsDuplicateNameError' });
});

test('rejects NaN and Infinity in every float dtype', () => {
  const cases: Array<[string, number[]]> = [
    ['F32', [0, 0, 0xc0, 0x7f]],
    ['F32', [0, 0, 0x80, 0xff]],
    ['F16', [0x00, 0x7c]],
    ['F16', [0x01, 0xfe]],
    ['BF16', [0x80, 0x7f]],
    ['BF16', [0xc0, 0xff]],
  ];
  for (const [dtype, data] of cases) {
    const json = header(['x', dtype, [1], 0, data.length]);
    assert.throws(() => decodeSafetensors(file(json, data)), { name: 'SafetensorsNonFiniteError' }, dtype);
  }
});

/**
 * Decodes `bytes`; any failure must be a named BaseError subclass, and
 * whatever is accepted must survive a canonical re-encode unchanged.
 */
function decodeOrNamedError(bytes: Uint8Array): void {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (err) {
    assert.ok(err instanceof BaseError, `unexpected ${String(err)}`);
    assert.notEqual(err.name, 'BaseError');
    return;
  }
  const again = decodeSafetensors(encodeSafetensors(decoded.tensors, decoded.metadata));
  assertSameTensors(again.tensors, decoded.tensors);
  assert.deepEqual(again.metadata, decoded.metadata);
}

test('fuzz: random bytes decode or throw a named error', () => {
  const withPrefix = fc
    .tuple(fc.integer({ min: 0, max: 80 }), fc.uint8Array({ maxLength: 80 }))
    .map(([n, rest]) => Uint8Array.from([n, 0, 0, 0, 0, 0, 0, 0, ...rest]));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), withPrefix), decodeOrNamedError), {
    numRuns: 2000,
  });
});

test('fuzz: random headers decode or throw a named error', () => {
  const arbNumber = fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constantFrom(1.5, 1e300, 2 ** 53 + 1));
  const arbEntry = fc.record({
    name: fc.constantFrom('a', 'b', '__metadata__'),
    dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'I32', 'U8'),
    shape: fc.array(arbNumber, { maxLength: 3 }),
    offsets: fc.array(arbNumber, { minLength: 1, maxLength: 3 }),
  });
  const arbBytes = fc.tuple(fc.array(arbEntry, { maxLength: 3 }), fc.uint8Array({ maxLength: 24 }));
  fc.assert(
    fc.property(arbBytes, ([entries, data]) => {
      const parts = entries.map(
        (e) => `"${e.name}":{"dtype":"${e.dtype}","shape":[${e.shape}],"data_offsets":[${e.offsets}]}`,
      );
      decodeOrNamedError(file(`{${parts.join(',')}}`, [...data]));
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: mutated and truncated valid files decode or throw a named error', () => {
  const mutation = fc.record({
    source: arbFile,
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.nat(),
    truncate: fc.boolean(),
  });
  fc.assert(
    fc.property(mutation, ({ source, edits, cut, truncate }) => {
      fc.pre(!('__metadata__' in source.tensors));
      let bytes = encodeSafetensors(source.tensors, source.metadata);
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      if (truncate) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      decodeOrNamedError(bytes);
    }),
    { numRuns: 1000 },
  );
});

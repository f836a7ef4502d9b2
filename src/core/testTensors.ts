import fc from 'fast-check';
import type { DType, Tensor } from './tensor.ts';

/**
 * fast-check generators of valid tensors, shared by the tests of the tensor
 * codec, safetensors and digests.
 */

/** Every dtype Concord supports. */
export const ALL_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'i8', 'i32'];

/** A shape of rank 0..maxRank with dimensions 0..maxDim (scalars and zero-size dimensions included). */
export function arbShape(maxRank = 4, maxDim = 5): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: maxDim }), { maxLength: maxRank });
}

/** One finite element of `dtype`, as stored in its typed array (raw bits for f16/bf16). */
export function arbElement(dtype: DType): fc.Arbitrary<number> {
  switch (dtype) {
    case 'f32':
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case 'f16':
      return fc.integer({ min: 0, max: 0xffff }).filter((b) => (b & 0x7c00) !== 0x7c00);
    case 'bf16':
      return fc.integer({ min: 0, max: 0xffff }).filter((b) => (b & 0x7f80) !== 0x7f80);
    case 'i8':
      return fc.integer({ min: -128, max: 127 });
    case 'i32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  }
}

/** Builds a tensor of `dtype` and `shape` from plain numbers. */
export function makeTensor(dtype: DType, shape: readonly number[], values: readonly number[]): Tensor {
  switch (dtype) {
    case 'f32':
      return { dtype, shape, data: Float32Array.from(values) };
    case 'f16':
    case 'bf16':
      return { dtype, shape, data: Uint16Array.from(values) };
    case 'i8':
      return { dtype, shape, data: Int8Array.from(values) };
    case 'i32':
      return { dtype, shape, data: Int32Array.from(values) };
  }
}

/** A valid tensor of `dtype` (any dtype when omitted) with a random small shape and finite data. */
export function arbTensor(dtype?: DType, maxRank = 4, maxDim = 5): fc.Arbitrary<Tensor> {
  const dtypeArb = dtype === undefined ? fc.constantFrom(...ALL_DTYPES) : fc.constant(dtype);
  return fc.tuple(dtypeArb, arbShape(maxRank, maxDim)).chain(([d, shape]) => {
    const count = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(arbElement(d), { minLength: count, maxLength: count })
      .map((values) => makeTensor(d, shape, values));
  });
}

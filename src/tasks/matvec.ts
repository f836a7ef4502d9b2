import type { Hex } from 'viem';
import { decodeTensor, encodeTensor } from '../core/codec.ts';
import type { Tensor } from '../core/tensor.ts';
import { KERNEL_VERSION, matvec, TensorShapeError } from '../tensor/index.ts';
import { TaskInputError } from './errors.ts';
import { defineTaskKind, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { digestField, oneOfField, specObject } from './specFields.ts';

/** Spec of a `matvec` task: multiply an f32 matrix `(rows, cols)` by an f32 vector `(cols)`. */
export type MatvecSpec = {
  kind: 'matvec';
  /** Kernel version whose reduction order the result follows. */
  kernel: typeof KERNEL_VERSION;
  /** Digest of the matrix blob (core tensor codec, f32, shape `[rows, cols]`). */
  matrix: Hex;
  /** Digest of the vector blob (core tensor codec, f32, shape `[cols]`). */
  vector: Hex;
};

const KIND = 'matvec';
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;

/**
 * The `matvec` task kind: `y = W·x` with each output one canonical dot of a
 * row of W with x, so every honest node returns the same bytes. The result
 * blob is an f32 tensor of shape `[rows]` in the core codec.
 */
export const matvecKind: TaskKind<MatvecSpec> = defineTaskKind<MatvecSpec>({
  name: KIND,
  parseSpec(json) {
    const obj = specObject(json, KIND, ['kernel', 'matrix', 'vector']);
    return {
      kind: KIND,
      kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
      matrix: digestField(obj, 'matrix'),
      vector: digestField(obj, 'vector'),
    };
  },
  inputs(spec) {
    return [spec.matrix, spec.vector];
  },
  async run(spec, ctx) {
    throwIfTaskAborted(ctx.signal);
    const [matrixBytes, vectorBytes] = await Promise.all([
      ctx.getBlob(spec.matrix),
      ctx.getBlob(spec.vector),
    ]);
    throwIfTaskAborted(ctx.signal);
    const w = f32Input(decodeTensor(matrixBytes), 'matrix');
    const x = f32Input(decodeTensor(vectorBytes), 'vector');
    const [rows, cols] = matrixDims(w);
    if (x.shape.length !== 1 || x.shape[0] !== cols) {
      throw new TensorShapeError(
        'matvec task',
        'vector shape',
        `[${cols}] (the matrix's column count)`,
        shapeText(x),
      );
    }
    const out = new Float32Array(rows);
    matvec(w.data, x.data, rows, cols, out);
    return encodeTensor({ dtype: 'f32', shape: [rows], data: out });
  },
});

function f32Input(t: Tensor, role: string): Tensor<'f32'> {
  if (t.dtype !== 'f32') {
    throw new TaskInputError(`matvec task: the ${role} tensor has dtype ${t.dtype}, expected f32.`, {
      hint: 'Encode inputs as f32 tensors.',
    });
  }
  return t as Tensor<'f32'>;
}

function matrixDims(w: Tensor<'f32'>): [number, number] {
  const [rows, cols] = w.shape;
  if (w.shape.length !== 2 || rows === undefined || cols === undefined || rows < 1 || cols < 1) {
    throw new TensorShapeError(
      'matvec task',
      'matrix shape',
      '[rows, cols] with rows, cols >= 1',
      shapeText(w),
    );
  }
  return [rows, cols];
}

function shapeText(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

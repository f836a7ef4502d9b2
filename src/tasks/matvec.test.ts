import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTensor, encodeTensor } from '../core/codec.ts';
import { KERNEL_VERSION } from '../tensor/index.ts';
import { type MatvecSpec, matvecKind } from './matvec.ts';
import { MemoryBlobs } from './testing.ts';

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

function setup(rows: number, cols: number, seed = 1) {
  const blobs = new MemoryBlobs();
  const w = seeded(rows * cols, seed);
  const x = seeded(cols, seed + 7);
  const spec: MatvecSpec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: blobs.putF32([rows, cols], w),
    vector: blobs.putF32([cols], x),
  };
  return { blobs, w, x, spec };
}

describe('matvec task kind', () => {
  it('has the on-chain kind id keccak256("matvec")', () => {
    assert.equal(matvecKind.kindId, '0x002b6362825bd60f3c52055265139a55715af03260d150a2532e8b239e656bb1');
  });

  it('parses a valid spec and lists its inputs', () => {
    const { spec } = setup(2, 3);
    assert.deepEqual(matvecKind.parseSpec(JSON.parse(JSON.stringify(spec))), spec);
    assert.deepEqual(matvecKind.inputs(spec), [spec.matrix, spec.vector]);
  });

  it('rejects bad specs with TaskSpecError', () => {
    const { spec } = setup(2, 3);
    const bad: unknown[] = [
      null,
      [],
      'matvec',
      { ...spec, kind: 'train' },
      { ...spec, kernel: 'concord-k0' },
      { ...spec, matrix: spec.matrix.toUpperCase().replace('0X', '0x') },
      { ...spec, vector: spec.vector.slice(0, 10) },
      { ...spec, vector: 42 },
      { ...spec, extra: 1 },
      (({ matrix: _, ...rest }) => rest)(spec),
    ];
    for (const json of bad)
      assert.throws(() => matvecKind.parseSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it('computes W·x close to a float64 reference', async () => {
    const rows = 17;
    const cols = 45;
    const { blobs, w, x, spec } = setup(rows, cols);
    const y = decodeTensor(await matvecKind.run(spec, blobs.context()));
    assert.equal(y.dtype, 'f32');
    assert.deepEqual(y.shape, [rows]);
    let maxDiff = 0;
    for (let r = 0; r < rows; r++) {
      let ref = 0;
      for (let c = 0; c < cols; c++) ref += w[r * cols + c]! * x[c]!;
      maxDiff = Math.max(maxDiff, Math.abs(ref - (y.data as Float32Array)[r]!));
    }
    assert.ok(maxDiff < 1e-5, `max |diff| = ${maxDiff}`);
  });

  it('is deterministic, and a row shard task gives exactly the shard of the result bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 70 }),
        fc.nat(),
        fc.nat(),
        async (rows, cols, seed, cut) => {
          const { blobs, w, spec } = setup(rows, cols, seed);
          const full = await matvecKind.run(spec, blobs.context());
          assert.deepEqual(await matvecKind.run(spec, blobs.context()), full);
          const start = cut % rows;
          const shard = { ...spec, matrix: blobs.putF32([rows - start, cols], w.slice(start * cols)) };
          const part = decodeTensor(await matvecKind.run(shard, blobs.context()));
          const whole = decodeTensor(full).data as Float32Array;
          assert.deepEqual(part.data, whole.slice(start));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects wrong shapes with TensorShapeError', async () => {
    const blobs = new MemoryBlobs();
    const m23 = blobs.putF32([2, 3], seeded(6, 1));
    const cases: [string, string][] = [
      [blobs.putF32([6], seeded(6, 1)), blobs.putF32([3], seeded(3, 2))],
      [blobs.putF32([1, 2, 3], seeded(6, 1)), blobs.putF32([3], seeded(3, 2))],
      [blobs.putF32([0, 3], new Float32Array(0)), blobs.putF32([3], seeded(3, 2))],
      [m23, blobs.putF32([4], seeded(4, 2))],
      [m23, blobs.putF32([3, 1], seeded(3, 2))],
    ];
    for (const [matrix, vector] of cases) {
      const spec = { kind: 'matvec', kernel: KERNEL_VERSION, matrix, vector } as MatvecSpec;
      await assert.rejects(matvecKind.run(spec, blobs.context()), { name: 'TensorShapeError' });
    }
  });

  it('rejects non-f32 inputs with TaskInputError', async () => {
    const { blobs, spec } = setup(2, 3);
    const ints = blobs.put(encodeTensor({ dtype: 'i32', shape: [3], data: new Int32Array([1, 2, 3]) }));
    await assert.rejects(matvecKind.run({ ...spec, vector: ints as MatvecSpec['vector'] }, blobs.context()), {
      name: 'TaskInputError',
    });
  });

  it('rejects NaN and infinite input blobs with the codec error', async () => {
    const { blobs, spec } = setup(2, 3);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const bytes = encodeTensor({ dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 3]) });
      new DataView(bytes.buffer).setFloat32(bytes.length - 4, bad, true);
      const vector = blobs.put(bytes) as MatvecSpec['vector'];
      await assert.rejects(matvecKind.run({ ...spec, vector }, blobs.context()), {
        name: 'TensorNonFiniteError',
      });
    }
  });

  it('rejects a result that overflows to infinity', async () => {
    const blobs = new MemoryBlobs();
    const spec: MatvecSpec = {
      kind: 'matvec',
      kernel: KERNEL_VERSION,
      matrix: blobs.putF32([1, 2], new Float32Array([3e38, 3e38])),
      vector: blobs.putF32([2], new Float32Array([2, 2])),
    };
    await assert.rejects(matvecKind.run(spec, blobs.context()), { name: 'TensorNonFiniteError' });
  });

  it('stops with TaskAbortedError when its signal is aborted', async () => {
    const { blobs, spec } = setup(2, 3);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(matvecKind.run(spec, blobs.context(controller.signal)), {
      name: 'TaskAbortedError',
    });
  });
});

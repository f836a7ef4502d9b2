/**
 * Kernel benchmark: fp32 matvec 4096x4096 (TypeScript reference, WASM SIMD on
 * one thread, the 2-thread pool) against a plain 64 MB memory copy and against
 * onnxruntime-node (a MatMul graph built in bench/onnxMatmulModel.ts), and
 * matmul 512^3 against onnxruntime. Prints GB/s of matrix bytes read (matvec),
 * GFLOP/s (matmul) and the ratios. Run: node bin/run.mjs bench/kernels.ts
 */
import * as ort from 'onnxruntime-node';
import { allocF32, createKernelPool, ts, wasm } from '../src/tensor/index.ts';
import { randomF32 } from '../src/tensor/testData.ts';
import { onnxMatmulModel } from './onnxMatmulModel.ts';

const N = 4096;
const M = 512;

/**
 * Median wall time in ms of each candidate, measured round-robin (one run of
 * each per round, after `warmup` rounds) so that load from other processes
 * hits all candidates alike.
 */
async function medians(candidates: Record<string, () => unknown>, rounds: number, warmup = 2) {
  const names = Object.keys(candidates);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const name of names) {
      const t0 = performance.now();
      await candidates[name]!();
      if (r >= warmup) times[name]!.push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(names.map((n) => [n, median(times[n]!)])) as Record<string, number>;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

async function onnxSession(m: number, k: number, n: number, b: Float32Array, threads: number) {
  const session = await ort.InferenceSession.create(onnxMatmulModel(m, k, n, b), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return async (a: Float32Array): Promise<Float32Array> => {
    const { Y } = await session.run({ A: new ort.Tensor('float32', a, [m, k]) });
    return Y!.data as Float32Array;
  };
}

const pool = await createKernelPool(2);
const lines: string[] = [];
const row = (name: string, ms: number, metric: string, ratios: string) =>
  lines.push(`${name.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms  ${metric.padStart(14)}  ${ratios}`);

// ---- matvec 4096 x 4096: W lives in kernel memory (zero-copy for WASM and the pool)
const w = allocF32(N * N);
w.set(randomF32(N * N, 1));
const x = allocF32(N);
x.set(randomF32(N, 2));
const out = allocF32(N);
// The copy baseline reads an ordinary (non-shared) array: V8 copies out of a SharedArrayBuffer with
// relaxed atomics, which is slower than memcpy and would flatter the ratio.
const wPlain = w.slice();
const copyDst = new Float32Array(N * N);
const bytes = N * N * 4;
const gbs = (ms: number) => bytes / 1e9 / (ms / 1e3);

const wT = transpose(wPlain, N, N);
const ort1 = await onnxSession(1, N, N, wT, 1);
const ort2 = await onnxSession(1, N, N, wT, 2);
const xPlain = x.slice();
const mvT = await medians(
  {
    copy: () => copyDst.set(wPlain),
    wasm: () => wasm.matvec(w, x, N, N, out),
    pool: () => pool.matvec(w, x, N, N, out),
    ort1: () => ort1(xPlain),
    ort2: () => ort2(xPlain),
  },
  20,
);
const tTs = (await medians({ ts: () => ts.matvec(w, x, N, N, out) }, 3, 1)).ts!;
const [tCopy, tWasm, tPool, tOrt1, tOrt2] = [mvT.copy!, mvT.wasm!, mvT.pool!, mvT.ort1!, mvT.ort2!];
wasm.matvec(w, x, N, N, out);
const ortOut = await ort1(xPlain);

lines.push(`matvec ${N}x${N} fp32 (${bytes / 2 ** 20} MiB matrix), median times`);
const mv = (name: string, ms: number) =>
  row(
    name,
    ms,
    `${gbs(ms).toFixed(2)} GB/s`,
    `x${(tCopy / ms).toFixed(2)} of copy, x${(tOrt1 / ms).toFixed(2)} of ort-1t`,
  );
mv('copy (Float32Array.set, 64 MiB)', tCopy);
mv('ours: TypeScript reference', tTs);
mv('ours: WASM SIMD, 1 thread', tWasm);
mv('ours: pool, 2 threads', tPool);
mv('onnxruntime-node, 1 thread', tOrt1);
mv('onnxruntime-node, 2 threads', tOrt2);
lines.push(`  max |ours - onnxruntime| = ${maxDiff(out, ortOut).toExponential(2)}`);

// ---- matmul 512^3
const a = allocF32(M * M);
a.set(randomF32(M * M, 3));
const b = allocF32(M * M);
b.set(randomF32(M * M, 4));
const c = allocF32(M * M);
const flops = 2 * M * M * M;
const gflops = (ms: number) => flops / 1e9 / (ms / 1e3);
const mm1 = await onnxSession(M, M, M, b.slice(), 1);
const mm2 = await onnxSession(M, M, M, b.slice(), 2);
const aPlain = a.slice();
const mmT = await medians(
  {
    wasm: () => wasm.matmul(a, b, M, M, M, c),
    pool: () => pool.matmul(a, b, M, M, M, c),
    ort1: () => mm1(aPlain),
    ort2: () => mm2(aPlain),
  },
  15,
);
const [tMmWasm, tMmPool, tMmOrt1, tMmOrt2] = [mmT.wasm!, mmT.pool!, mmT.ort1!, mmT.ort2!];
wasm.matmul(a, b, M, M, M, c);
const mmOrtOut = await mm1(aPlain);
lines.push(`matmul ${M}x${M}x${M} fp32, median times`);
const mmRow = (name: string, ms: number) =>
  row(
    name,
    ms,
    `${gflops(ms).toFixed(1)} GFLOP/s`,
    `x${(tMmOrt1 / ms).toFixed(2)} of ort-1t, x${(tMmOrt2 / ms).toFixed(2)} of ort-2t`,
  );
mmRow('ours: WASM SIMD, 1 thread', tMmWasm);
mmRow('ours: pool, 2 threads', tMmPool);
mmRow('onnxruntime-node, 1 thread', tMmOrt1);
mmRow('onnxruntime-node, 2 threads', tMmOrt2);
lines.push(`  max |ours - onnxruntime| = ${maxDiff(c, mmOrtOut).toExponential(2)}`);

console.log(lines.join('\n'));
await pool.close();

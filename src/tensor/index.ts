/**
 * Concord's deterministic kernels on row-major Float32Arrays. Every function
 * writes into a caller-allocated `out`; reductions follow the canonical dot
 * order (docs/kernels.md), so the TypeScript reference (`ts`), the
 * WebAssembly SIMD path (`wasm`) and the worker pool give identical bytes.
 * The top-level functions pick the fastest available path.
 */

export {
  add,
  causalAttention,
  dot,
  exp,
  gelu,
  geluBackward,
  layerNorm,
  layerNormBackward,
  linear,
  log,
  matmul,
  matmulTransA,
  matvec,
  mul,
  POOL_MIN_WORK,
  scale,
  softmax,
  softmaxBackward,
  sum,
  sumRows,
  tanh,
  useKernelPool,
} from './dispatch.ts';
export * from './errors.ts';
export { assertFiniteF32 } from './finite.ts';
export { expF32, logF32, tanhF32 } from './math.ts';
export { createKernelPool, type KernelPool } from './pool/index.ts';
export * as ts from './ts/index.ts';
export { KERNEL_VERSION } from './version.ts';
export * as wasm from './wasm/index.ts';
export { allocF32, freeF32, isKernelResident, wasmAvailable } from './wasm/index.ts';

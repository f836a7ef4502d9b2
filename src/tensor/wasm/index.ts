/**
 * The WebAssembly SIMD kernels (same bits as ../ts/) and kernel memory:
 * allocF32 places a tensor in the shared kernel memory so that kernels and
 * the worker pool use it without copying.
 */
export {
  add,
  allocF32,
  causalAttention,
  dot,
  exp,
  freeF32,
  gelu,
  geluBackward,
  isKernelResident,
  layerNorm,
  layerNormBackward,
  linear,
  log,
  matmul,
  matmulTransA,
  matvec,
  mul,
  scale,
  softmax,
  softmaxBackward,
  sum,
  sumRows,
  tanh,
} from './kernels.ts';
export { wasmAvailable } from './runtime.ts';

/**
 * The TypeScript reference kernels: the definition of every kernel's bits.
 * The WebAssembly kernels (../wasm/) must return identical bytes.
 */
export { causalAttention } from './attention.ts';
export { add, exp, log, mul, scale, tanh } from './elementwise.ts';
export { gelu, geluBackward } from './gelu.ts';
export { layerNorm } from './layerNorm.ts';
export { layerNormBackward } from './layerNormBackward.ts';
export { linear, matvec } from './linear.ts';
export { matmul, matmulTransA } from './matmul.ts';
export { dot, sum, sumRows } from './reduce.ts';
export { softmax, softmaxBackward } from './softmax.ts';

import { readFileSync } from 'node:fs';
import { WasmKernelsUnavailableError } from '../errors.ts';
import { type WasmMemory, type WasmModule, WebAssemblyApi } from './webAssemblyApi.ts';

/** Where `npm run build` (scripts/build/kernels.mjs) writes the compiled kernels. */
export const KERNELS_WASM_URL = new URL('../../../generated/kernels/kernels.wasm', import.meta.url);

/** Largest kernel memory in 64 KiB pages (4 GiB, the wasm32 limit); the build script declares it in the module. */
export const MAX_PAGES = 65536;

/** The functions kernels.wasm exports; every pointer is a byte offset into the shared kernel memory. */
export type KernelExports = {
  dot(a: number, b: number, n: number): number;
  sum(a: number, n: number): number;
  linear(
    x: number,
    w: number,
    bias: number,
    T: number,
    inDim: number,
    outDim: number,
    out: number,
    i0: number,
    i1: number,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  sumRows(x: number, rows: number, cols: number, out: number): void;
  add(a: number, b: number, out: number, n: number): void;
  mul(a: number, b: number, out: number, n: number): void;
  scale(a: number, s: number, out: number, n: number): void;
  exp(a: number, out: number, n: number): void;
  log(a: number, out: number, n: number): void;
  tanh(a: number, out: number, n: number): void;
  gelu(a: number, out: number, n: number): void;
  geluBackward(a: number, dout: number, out: number, n: number): void;
  softmax(x: number, rows: number, cols: number, out: number): void;
  softmaxBackward(y: number, dy: number, rows: number, cols: number, out: number): void;
  causalAttention(scores: number, vt: number, T: number, headDim: number, probs: number, y: number): void;
  layerNorm(
    x: number,
    gamma: number,
    beta: number,
    T: number,
    C: number,
    eps: number,
    out: number,
    meanOut: number,
    rstdOut: number,
  ): void;
  layerNormBackward(
    dout: number,
    x: number,
    mean: number,
    rstd: number,
    gamma: number,
    T: number,
    C: number,
    dx: number,
    dgamma: number,
    dbeta: number,
  ): void;
  expF32(x: number): number;
  logF32(x: number): number;
  tanhF32(x: number): number;
};

/** Reads and compiles kernels.wasm synchronously; throws WasmKernelsUnavailableError if it cannot. */
export function compileKernels(): WasmModule {
  try {
    return new WebAssemblyApi.Module(readFileSync(KERNELS_WASM_URL));
  } catch (err) {
    throw new WasmKernelsUnavailableError(err);
  }
}

/** Instantiates the kernels on a shared memory (one instance per thread, all on the same memory). */
export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelExports {
  const instance = new WebAssemblyApi.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

/**
 * The part of the global WebAssembly API the kernels use, typed locally:
 * the project compiles with lib ES2023 and @types/node, neither of which
 * declares the WebAssembly namespace (it lives in lib.dom).
 */

/** A compiled module (opaque; cloneable to worker threads). */
export type WasmModule = { readonly __brand?: 'WebAssembly.Module' };

/** A linear memory; shared memories expose a SharedArrayBuffer that never detaches. */
export type WasmMemory = {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
};

type WasmApi = {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: unknown };
};

/** The global WebAssembly object. */
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

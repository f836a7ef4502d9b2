/**
 * The part of the global WebAssembly API the runtime uses, typed locally:
 * the project compiles with lib ES2023 and @types/node, neither of which
 * declares the WebAssembly namespace (it lives in lib.dom).
 */

/** A compiled module (opaque). */
export type WasmCompiledModule = { readonly __brand?: 'WebAssembly.Module' };

/** A linear memory. */
export type WasmLinearMemory = { readonly buffer: ArrayBuffer; grow(deltaPages: number): number };

/** A global; i64 globals hold bigints. */
export type WasmGlobalValue = { value: bigint | number };

/** The JS functions and objects a module can import, by module and field. */
export type WasmImportObject = Record<string, Record<string, unknown>>;

type WasmApi = {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmCompiledModule;
  Instance: new (
    module: WasmCompiledModule,
    imports: WasmImportObject,
  ) => { exports: Record<string, unknown> };
  RuntimeError: new (...args: unknown[]) => Error;
};

/** The global WebAssembly object. */
export const WebAssemblyRuntime = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

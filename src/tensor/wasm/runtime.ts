import { KernelHeap } from './heap.ts';
import { compileKernels, instantiateKernels, type KernelExports } from './module.ts';
import { Staging } from './staging.ts';
import type { WasmModule } from './webAssemblyApi.ts';

/** The process's WebAssembly kernel state: the compiled module, the shared memory and its allocator. */
export type KernelRuntime = {
  readonly module: WasmModule;
  readonly heap: KernelHeap;
  readonly exports: KernelExports;
  readonly staging: Staging;
};

function load(): { runtime: KernelRuntime } | { error: unknown } {
  try {
    const module = compileKernels();
    const heap = new KernelHeap();
    return {
      runtime: { module, heap, exports: instantiateKernels(module, heap.memory), staging: new Staging(heap) },
    };
  } catch (error) {
    return { error };
  }
}

/** Loaded synchronously when this module is first imported. */
const loaded = load();

/** True when kernels.wasm loaded (it is built by `npm run build`). */
export const wasmAvailable = 'runtime' in loaded;

/** The kernel runtime; throws WasmKernelsUnavailableError if kernels.wasm could not be loaded. */
export function kernelRuntime(): KernelRuntime {
  if ('runtime' in loaded) return loaded.runtime;
  throw loaded.error;
}

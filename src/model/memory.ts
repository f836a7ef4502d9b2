import {
  allocF32,
  freeF32,
  isKernelResident,
  KernelMemoryExhaustedError,
  wasmAvailable,
} from '../tensor/index.ts';

/**
 * Where the model keeps a large buffer: on the JavaScript heap (`'js'`,
 * garbage-collected), or in the kernels' WebAssembly memory (`'kernel'`),
 * where the WASM kernels read it without copying — about 1.5× faster decoding,
 * because weights are not staged on every call. Kernel memory is not
 * garbage-collected: whoever asks for it must call `dispose()`.
 * Placement never changes a result's bits, only speed.
 */
export type Placement = 'js' | 'kernel';

/**
 * A zeroed buffer of n floats in the requested place; falls back to the JS
 * heap when the WASM kernels are unavailable or their memory is full.
 */
export function allocBuffer(n: number, placement: Placement): Float32Array {
  if (placement === 'kernel' && wasmAvailable) {
    try {
      return allocF32(n);
    } catch (err) {
      if (!(err instanceof KernelMemoryExhaustedError)) throw err;
    }
  }
  return new Float32Array(n);
}

/** Returns a buffer from allocBuffer to kernel memory if it lives there; JS buffers are left to the GC. */
export function freeBuffer(arr: Float32Array): void {
  if (wasmAvailable && isKernelResident(arr)) freeF32(arr);
}

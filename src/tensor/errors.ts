import { BaseError } from '../core/errors.ts';

/** A buffer's length does not match the dimensions a kernel was given, or a dimension is invalid. */
export class TensorShapeError extends BaseError {
  override name = 'TensorShapeError';
  override readonly status = 400;
  constructor(kernel: string, what: string, expected: string, actual: string) {
    super(`${kernel}: ${what} must be ${expected}, got ${actual}`, {
      hint: 'Pass row-major Float32Arrays whose lengths equal the product of the dimensions you give.',
    });
  }
}

/** The WebAssembly kernels could not be loaded (build missing or SIMD unsupported). */
export class WasmKernelsUnavailableError extends BaseError {
  override name = 'WasmKernelsUnavailableError';
  constructor(cause: unknown) {
    super('the WebAssembly SIMD kernels could not be loaded', {
      cause,
      hint: 'Run `npm run build` to generate generated/kernels/kernels.wasm; Node >= 20 is needed for SIMD.',
    });
  }
}

/** The WebAssembly kernel memory cannot grow to hold another allocation. */
export class KernelMemoryExhaustedError extends BaseError {
  override name = 'KernelMemoryExhaustedError';
  constructor(requestedBytes: number, maxBytes: number, cause?: unknown) {
    super(`kernel memory cannot hold ${requestedBytes} more bytes (maximum ${maxBytes} bytes)`, {
      cause,
      hint: 'Free tensors you no longer need with freeF32, or keep large tensors outside kernel memory.',
    });
  }
}

/** A Float32Array handed to freeF32 was not allocated by allocF32, or was freed already. */
export class KernelMemoryFreeError extends BaseError {
  override name = 'KernelMemoryFreeError';
  constructor() {
    super('freeF32 was given an array that allocF32 did not return or that is already freed', {
      hint: 'Free each array from allocF32 exactly once, and pass the array itself, not a subarray.',
    });
  }
}

/** A kernel pool was used after close(), or one of its workers failed. */
export class KernelPoolError extends BaseError {
  override name = 'KernelPoolError';
  constructor(reason: string, cause?: unknown) {
    super(`kernel pool: ${reason}`, {
      cause,
      hint: 'Create a new pool with createKernelPool(threads); close() a pool only after its last call settles.',
    });
  }
}

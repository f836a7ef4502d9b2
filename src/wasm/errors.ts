import { BaseError } from '../core/errors.ts';

/** The bytes are not a WebAssembly module, or its sections do not decode. */
export class WasmInvalidModuleError extends BaseError {
  override name = 'WasmInvalidModuleError';
  override readonly status = 400;
}

/** The module is larger than the runtime accepts. */
export class WasmModuleTooLargeError extends BaseError {
  override name = 'WasmModuleTooLargeError';
  override readonly status = 400;
}

/** The module uses a feature that could break determinism or metering (SIMD, threads, start, ...). */
export class WasmUnsupportedFeatureError extends BaseError {
  override name = 'WasmUnsupportedFeatureError';
  override readonly status = 400;
}

/** The module imports something other than the `concord` host API, or with a wrong signature. */
export class WasmImportNotAllowedError extends BaseError {
  override name = 'WasmImportNotAllowedError';
  override readonly status = 400;
}

/** The entry export is missing, not a function, or not of type `() -> ()`. */
export class WasmEntryError extends BaseError {
  override name = 'WasmEntryError';
  override readonly status = 400;
}

/** The module's memory or table needs more than the limit allows. */
export class WasmMemoryLimitError extends BaseError {
  override name = 'WasmMemoryLimitError';
  override readonly status = 400;
}

/** The run used up its fuel (instruction budget) and was stopped. */
export class WasmFuelExhaustedError extends BaseError {
  override name = 'WasmFuelExhaustedError';
}

/** The module trapped (unreachable, division by zero, out-of-bounds access, bad host call). */
export class WasmTrapError extends BaseError {
  override name = 'WasmTrapError';
}

/** The run nested calls deeper than `WASM_MAX_CALL_DEPTH` (recursion too deep). */
export class WasmCallDepthError extends BaseError {
  override name = 'WasmCallDepthError';
}

/** The engine's call stack overflowed before the call depth limit (very large frames). */
export class WasmStackOverflowError extends BaseError {
  override name = 'WasmStackOverflowError';
}

/** The module wrote more output than `maxOutputBytes`. */
export class WasmOutputTooLargeError extends BaseError {
  override name = 'WasmOutputTooLargeError';
}

/** The wall-clock backstop fired before the fuel ran out; the worker was replaced. */
export class WasmTimeoutError extends BaseError {
  override name = 'WasmTimeoutError';
}

/** The runner's worker thread died (e.g. out of memory) during a run; it was replaced. */
export class WasmRunnerCrashedError extends BaseError {
  override name = 'WasmRunnerCrashedError';
}

/** The runner was closed; it accepts no more runs. */
export class WasmRunnerClosedError extends BaseError {
  override name = 'WasmRunnerClosedError';
}

/** The run was cancelled through its AbortSignal; the worker was replaced. */
export class WasmRunAbortedError extends BaseError {
  override name = 'WasmRunAbortedError';
}

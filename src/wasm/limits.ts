/** Hard limits of the wasm runtime, the same on every node (a spec may ask for less, never more). */

/** Largest module binary accepted, checked before decoding. */
export const WASM_MAX_MODULE_BYTES = 8 * 1024 * 1024;

/** Largest linear memory in 64 KiB pages (64 MiB). */
export const WASM_MAX_MEMORY_PAGES = 1024;

/** Largest table (entries of `call_indirect` targets). */
export const WASM_MAX_TABLE_ENTRIES = 65_536;

/** Largest output a run may write (the result blob). */
export const WASM_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Largest fuel budget: the largest integer a JSON number carries exactly. */
export const WASM_MAX_FUEL = Number.MAX_SAFE_INTEGER;

/** Fuel charged per host call, on top of the call instruction itself. */
export const HOST_CALL_FUEL = 10n;

/** Host calls that copy bytes charge one fuel per this many bytes (rounded up). */
export const HOST_BYTES_PER_FUEL = 8;

/** Export name under which metering exposes the fuel counter (reserved). */
export const FUEL_EXPORT = '__concord_fuel';

/** Export name under which metering exposes the call depth counter (reserved). */
export const DEPTH_EXPORT = '__concord_depth';

/**
 * Deepest call nesting a run may reach; past it the run fails with
 * `WasmCallDepthError` on every node, well before the engine's own stack
 * limit (which differs between engines and threads) for frames up to a few
 * KiB. The runner's worker gets a 16 MiB stack to keep that margin.
 */
export const WASM_MAX_CALL_DEPTH = 2048;

/** Export name under which preparation exposes the module's memory to the host (reserved). */
export const MEMORY_EXPORT = '__concord_memory';

/**
 * Version id of the runtime's consensus rules: fuel costs, host API charges,
 * NaN canonicalization, limits. It is part of each wasm task spec; bump it
 * when any of them changes, since fuel used and outputs may change with it.
 */
export const WASM_RUNTIME_VERSION = 'concord-wasm-1';

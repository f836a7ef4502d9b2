import { readFileSync } from 'node:fs';
import { AggregateWasmUnavailableError } from './errors.ts';
import { fedAvgWeights } from './fedAvgWeights.ts';
import { assertFiniteUpdates } from './validate.ts';

/** Where `npm run build` (scripts/build/kernels.mjs) writes FedAvg's WebAssembly module. */
const AGGREGATE_WASM_URL = new URL('../../../generated/kernels/aggregate.wasm', import.meta.url);
/** Bytes of update blocks staged per pass: small enough to stay in L2 cache while they are summed. */
const STAGING_BYTES = 256 * 1024;
const MAX_BLOCK = 8192;
const PAGE = 65536;

type AggregateExports = {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** The module sums this many coordinates per step: block sizes must be multiples of it. */
  coordsPerStep(): number;
  fedAvgBlock(
    xs: number,
    stride: number,
    n: number,
    size: number,
    w: number,
    divisor: number,
    out: number,
  ): number;
};

/** The part of the global WebAssembly API used here (lib ES2023 does not declare it). */
type WasmApi = {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { exports: unknown };
};

function load(): { exports: AggregateExports } | { error: unknown } {
  try {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new api.Instance(new api.Module(readFileSync(AGGREGATE_WASM_URL)), {});
    return { exports: instance.exports as AggregateExports };
  } catch (error) {
    return { error };
  }
}

/** Loaded synchronously when this module is first imported. */
const loaded = load();

/** True when generated/kernels/aggregate.wasm loaded (it is built by `npm run build`). */
export const fedAvgWasmAvailable = 'exports' in loaded;

/**
 * FedAvg on WebAssembly SIMD: the same inputs, errors and bits as
 * `fedAvgReference` (the order is documented on `fedAvg`). Per block of
 * coordinates, each update's slice is copied into the module's private
 * memory (a plain memcpy, and the slices stay in L2 cache), then 16
 * coordinates at a time are accumulated in eight f64x2 accumulators in update
 * order, divided and rounded to f32. Throws `AggregateWasmUnavailableError`
 * if the module could not be loaded.
 */
export function fedAvgWasm(
  updates: readonly Float32Array[],
  weights: readonly (number | bigint)[],
): Float32Array {
  if (!('exports' in loaded)) throw new AggregateWasmUnavailableError(loaded.error);
  const wasm = loaded.exports;
  const { length, weights: w, divisor } = fedAvgWeights(updates, weights);
  const n = updates.length;
  const lanes = wasm.coordsPerStep();
  const block = Math.max(lanes, Math.min(MAX_BLOCK, Math.floor(STAGING_BYTES / (4 * n * lanes)) * lanes));
  // Layout: weights (n f64), then the output block, then one staging row per update.
  const outPtr = Math.ceil((8 * n) / 64) * 64;
  const xsPtr = outPtr + 4 * block;
  const stride = 4 * block;
  const bytes = xsPtr + n * stride;
  const have = wasm.memory.buffer.byteLength;
  if (bytes > have) wasm.memory.grow(Math.ceil((bytes - have) / PAGE));
  const mem = new Float32Array(wasm.memory.buffer);
  new Float64Array(wasm.memory.buffer, 0, n).set(w);
  const out = new Float32Array(length);
  for (let start = 0; start < length; start += block) {
    const size = Math.min(block, length - start);
    const padded = Math.ceil(size / lanes) * lanes;
    for (let i = 0; i < n; i++) {
      const row = (xsPtr + i * stride) / 4;
      mem.set(updates[i]!.subarray(start, start + size), row);
      // The lanes past the end of the last block are summed too: give them zeros (finite).
      if (padded > size) mem.fill(0, row + size, row + padded);
    }
    if (wasm.fedAvgBlock(xsPtr, stride, n, padded, 0, divisor, outPtr) !== 0) assertFiniteUpdates(updates);
    out.set(mem.subarray(outPtr / 4, outPtr / 4 + size), start);
  }
  return out;
}

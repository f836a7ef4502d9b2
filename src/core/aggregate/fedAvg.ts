import { fedAvgReference } from './fedAvgReference.ts';
import { fedAvgWasm, fedAvgWasmAvailable } from './fedAvgWasm.ts';

/** From this many input values (updates × parameters) on, fedAvg runs in WebAssembly. */
export const FEDAVG_WASM_MIN_VALUES = 4096;

/**
 * FedAvg: the weighted mean of equal-length f32 updates, with integer
 * weights such as sample counts.
 *
 * Reduction order (part of the determinism contract): per coordinate `j`,
 * `acc = +0; for i in update order: acc = acc + w_i * x_i[j]` in float64 (a
 * rounded product, then a rounded sum: no fused multiply-add), then
 * `out[j] = fround(acc / W)` with `W = sum(w_i)`: one division, one rounding
 * to f32. Weights are exact in float64 (each and their sum below 2^53), so
 * the result is bit-identical on every IEEE-754 engine.
 *
 * Runs the WebAssembly SIMD path (`fedAvgWasm`) when it is loaded and the
 * input is large enough, the TypeScript reference (`fedAvgReference`)
 * otherwise; both give the same bits.
 *
 * Throws `AggregateEmptyError`, `AggregateLengthMismatchError`,
 * `AggregateWeightCountError`, `AggregateInvalidWeightError`,
 * `AggregateTotalWeightError` and `AggregateNonFiniteError` (NaN/Inf in any
 * update, even one with weight 0).
 */
export function fedAvg(
  updates: readonly Float32Array[],
  weights: readonly (number | bigint)[],
): Float32Array {
  const values = updates.length * (updates[0]?.length ?? 0);
  return fedAvgWasmAvailable && values >= FEDAVG_WASM_MIN_VALUES
    ? fedAvgWasm(updates, weights)
    : fedAvgReference(updates, weights);
}

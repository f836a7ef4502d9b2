import { AggregateLengthMismatchError, AggregateServerStepError } from './errors.ts';
import { assertFiniteUpdates } from './validate.ts';

/** Largest server learning rate a server step accepts. */
export const MAX_SERVER_LR = 8;

/**
 * The server step of federated optimisation: moves from the round's `base`
 * version along the aggregated update by `lr`, i.e.
 * `out = base + lr · (aggregated − base)`. `lr = 1` returns `aggregated`
 * unchanged in value; `lr < 1` shortens the round's step (less noise late
 * in a schedule), `lr > 1` lengthens it.
 *
 * Arithmetic order (part of the determinism contract): per coordinate, in
 * float64, `d = a − b`, `s = lr · d`, `t = b + s` (each one rounded IEEE
 * operation, no fused multiply-add), then `out = fround(t)`; identical bits
 * on every engine.
 *
 * Throws `AggregateLengthMismatchError`, `AggregateNonFiniteError` (NaN/Inf
 * in either input) and `AggregateServerStepError` (lr outside (0, 8], or a
 * result that overflows f32).
 */
export function serverStep(base: Float32Array, aggregated: Float32Array, lr: number): Float32Array {
  if (!(lr > 0 && lr <= MAX_SERVER_LR)) {
    throw new AggregateServerStepError(`Server learning rate ${lr} is not in (0, ${MAX_SERVER_LR}].`);
  }
  if (aggregated.length !== base.length) {
    throw new AggregateLengthMismatchError(1, aggregated.length, base.length);
  }
  assertFiniteUpdates([base, aggregated]);
  const out = new Float32Array(base.length);
  for (let j = 0; j < base.length; j++) {
    const b = base[j]!;
    const v = Math.fround(b + lr * (aggregated[j]! - b));
    if (v - v !== 0) throw new AggregateServerStepError(`The server step overflows f32 at parameter ${j}.`);
    out[j] = v;
  }
  return out;
}

import { AggregateEmptyError, AggregateLengthMismatchError, AggregateNonFiniteError } from './errors.ts';

/**
 * Checks that there is at least one update and that all have the same
 * length; returns that length. Throws `AggregateEmptyError` or
 * `AggregateLengthMismatchError`.
 */
export function assertSameLength(updates: readonly Float32Array[]): number {
  const first = updates[0];
  if (first === undefined) throw new AggregateEmptyError();
  for (let i = 1; i < updates.length; i++) {
    const { length } = updates[i]!;
    if (length !== first.length) throw new AggregateLengthMismatchError(i, length, first.length);
  }
  return first.length;
}

/** Throws `AggregateNonFiniteError` naming the first NaN or infinity among the updates. */
export function assertFiniteUpdates(updates: readonly Float32Array[]): void {
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i]!;
    for (let j = 0; j < update.length; j++) {
      const v = update[j]!;
      // v - v is 0 for every finite v and NaN for NaN and ±Inf.
      if (v - v !== 0) throw new AggregateNonFiniteError(i, j);
    }
  }
}

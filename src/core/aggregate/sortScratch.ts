/**
 * Sorts the first `count` values of `scratch` ascending in place, by
 * insertion sort: no allocation, fast for the small counts (n <= ~64) that
 * aggregation sorts once per coordinate. Values must not be NaN; -0 and +0
 * compare equal and keep their relative order (the sort is stable).
 */
export function sortPrefix(scratch: Float64Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const v = scratch[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! > v) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = v;
  }
}

/**
 * Copies coordinate `position` of every update into `scratch[0..n)` and sorts
 * it ascending. Negative zero is stored as +0 (`v + 0`), so equal values are
 * bit-identical and the sorted sequence does not depend on update order.
 */
export function gatherSorted(
  updates: readonly Float32Array[],
  position: number,
  scratch: Float64Array,
): void {
  const n = updates.length;
  for (let i = 0; i < n; i++) scratch[i] = updates[i]![position]! + 0;
  sortPrefix(scratch, n);
}

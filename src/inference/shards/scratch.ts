import { allocBuffer, freeBuffer } from '../../model/index.ts';

/**
 * Scratch buffers of the shard kernels (q, k, v rows, scores, hidden rows…),
 * one per slot, reused by every call: the kernels run synchronously, so calls
 * never overlap. They live in kernel memory when the WASM kernels are loaded,
 * where products read and write them without staging; a slot grows (and is
 * reallocated) only when a call needs more than it holds.
 */
const slots: Float32Array[] = [];

/** A buffer of exactly n floats for `slot` (contents undefined), valid until the next call for that slot. */
export function scratch(slot: number, n: number): Float32Array {
  let buf = slots[slot];
  if (!buf || buf.length < n) {
    if (buf) freeBuffer(buf);
    buf = allocBuffer(n, 'kernel');
    slots[slot] = buf;
  }
  return buf.subarray(0, n);
}

import type { KernelHeap } from './heap.ts';

/** Pointers for one kernel call, and `finish()` to copy staged outputs back. */
export type Staged = {
  /** Byte offsets of the inputs, then of the outputs, in the order given; 0 for a null input. */
  readonly ptrs: number[];
  finish(): void;
};

const ALIGN = 64;
const noop = (): void => {};

/**
 * Gives every array a kernel touches a pointer into kernel memory. Arrays that
 * already live there (from allocF32) are used in place, zero-copy; others are
 * copied into a staging block (inputs copied in, outputs copied back by
 * finish). The same array passed twice gets one pointer, so in-place calls
 * (out === x) behave as in the TypeScript reference.
 */
export class Staging {
  private scratchPtr = 0;
  private scratchBytes = 0;

  constructor(private readonly heap: KernelHeap) {}

  /**
   * Stages a call. One reusable scratch block serves every call: kernel calls
   * (the pool's included) are synchronous, so they never overlap.
   */
  stage(inputs: readonly (Float32Array | null)[], outputs: readonly Float32Array[]): Staged {
    const heap = this.heap;
    const resident = this.allResident(inputs, outputs);
    if (resident !== null) return { ptrs: resident, finish: noop };
    const offsets = new Map<Float32Array, number>();
    let bytes = 0;
    for (const a of [...inputs, ...outputs]) {
      if (a === null || offsets.has(a) || heap.pointerOf(a) >= 0) continue;
      offsets.set(a, bytes);
      bytes += Math.ceil((a.length * 4) / ALIGN) * ALIGN;
    }
    const base = bytes === 0 ? 0 : this.scratch(bytes);
    const ptrOf = (a: Float32Array | null): number => {
      if (a === null) return 0;
      const off = offsets.get(a);
      return off === undefined ? heap.pointerOf(a) : base + off;
    };
    const copied = new Set<Float32Array>();
    for (const a of inputs) {
      if (a === null || copied.has(a) || !offsets.has(a)) continue;
      heap.view(ptrOf(a), a.length).set(a);
      copied.add(a);
    }
    return {
      ptrs: [...inputs.map(ptrOf), ...outputs.map(ptrOf)],
      finish: () => {
        for (const a of outputs) if (offsets.has(a)) a.set(heap.view(ptrOf(a), a.length));
      },
    };
  }

  /** The pointers when every array already lives in kernel memory (the zero-copy fast path), else null. */
  private allResident(
    inputs: readonly (Float32Array | null)[],
    outputs: readonly Float32Array[],
  ): number[] | null {
    const ptrs: number[] = [];
    for (const a of inputs) {
      const p = a === null ? 0 : this.heap.pointerOf(a);
      if (p < 0) return null;
      ptrs.push(p);
    }
    for (const a of outputs) {
      const p = this.heap.pointerOf(a);
      if (p < 0) return null;
      ptrs.push(p);
    }
    return ptrs;
  }

  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.heap.release(this.scratchPtr);
      this.scratchPtr = this.heap.allocate(bytes);
      this.scratchBytes = bytes;
    }
    return this.scratchPtr;
  }
}

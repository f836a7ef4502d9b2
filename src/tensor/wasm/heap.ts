import { KernelMemoryExhaustedError, KernelMemoryFreeError } from '../errors.ts';
import { MAX_PAGES } from './module.ts';
import { type WasmMemory, WebAssemblyApi } from './webAssemblyApi.ts';

const PAGE = 65536;
/** Every block starts on a cache line, which also keeps v128 loads aligned. */
const ALIGN = 64;

/**
 * A first-fit allocator over one shared WebAssembly.Memory that grows on
 * demand. Shared memory never detaches, so a view made before a grow stays
 * valid; every buffer the memory ever exposed is remembered, so `pointerOf`
 * recognises views made at any size.
 */
export class KernelHeap {
  readonly memory: WasmMemory;
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly used = new Map<number, number>();
  /** Free blocks below `top`, sorted by address: [ptr, bytes]. */
  private free: [number, number][] = [];
  /** Address 0 stays unused so that 0 can mean "no array". */
  private top = ALIGN;

  constructor(initialPages = 16) {
    this.memory = new WebAssemblyApi.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
    this.buffers.add(this.memory.buffer);
  }

  /** Reserves `bytes` (rounded up to 64) and returns the byte offset. */
  allocate(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const i = this.free.findIndex(([, b]) => b >= size);
    let ptr: number;
    if (i >= 0) {
      const [p, b] = this.free[i]!;
      ptr = p;
      if (b === size) this.free.splice(i, 1);
      else this.free[i] = [p + size, b - size];
    } else {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    this.used.set(ptr, size);
    return ptr;
  }

  /** Releases a block from `allocate`; throws KernelMemoryFreeError for anything else. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new KernelMemoryFreeError();
    this.used.delete(ptr);
    let i = this.free.findIndex(([p]) => p > ptr);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, [ptr, size]);
    this.coalesce(i);
  }

  /** The byte offset of a view into this memory, or -1 if the view lives elsewhere. */
  pointerOf(arr: Float32Array): number {
    return this.buffers.has(arr.buffer) ? arr.byteOffset : -1;
  }

  /** A Float32Array view of `n` elements at byte offset `ptr`, over the memory's current buffer. */
  view(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** Bytes currently handed out (for tests and diagnostics). */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.used.values()) total += size;
    return total;
  }

  private coalesce(i: number): void {
    const next = this.free[i + 1];
    const cur = this.free[i]!;
    if (next && cur[0] + cur[1] === next[0]) {
      cur[1] += next[1];
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev[0] + prev[1] === cur[0]) {
      prev[1] += cur[1];
      this.free.splice(i, 1);
      i -= 1;
    }
    const last = this.free[this.free.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.free.pop();
    }
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new KernelMemoryExhaustedError(end - have, MAX_PAGES * PAGE);
    const doubled = Math.min(have / PAGE, MAX_PAGES - have / PAGE);
    try {
      this.memory.grow(Math.max(pages, doubled));
    } catch {
      try {
        this.memory.grow(pages);
      } catch (err) {
        throw new KernelMemoryExhaustedError(end - have, MAX_PAGES * PAGE, err);
      }
    }
    this.buffers.add(this.memory.buffer);
  }
}

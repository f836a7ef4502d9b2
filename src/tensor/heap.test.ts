import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KernelHeap } from './wasm/heap.ts';

describe('KernelHeap allocator', () => {
  it('random allocate/release sequences never overlap, keep contents, and coalesce back to empty', () => {
    const heap = new KernelHeap(1);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), floats: fc.integer({ min: 0, max: 40_000 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const live: { ptr: number; n: number; id: number }[] = [];
        let nextId = 1;
        const intact = () => {
          for (const b of live) {
            const v = heap.view(b.ptr, b.n);
            for (let i = 0; i < b.n; i += 97) assert.equal(v[i], b.id);
          }
        };
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const ptr = heap.allocate(o.floats * 4);
            assert.ok(ptr >= 64 && ptr % 64 === 0, `aligned, non-null pointer ${ptr}`);
            for (const b of live)
              assert.ok(ptr + o.floats * 4 <= b.ptr || b.ptr + b.n * 4 <= ptr, 'no overlap');
            const id = nextId++;
            heap.view(ptr, o.floats).fill(id);
            live.push({ ptr, n: o.floats, id });
          } else if (live.length > 0) {
            const [b] = live.splice(o.pick % live.length, 1);
            heap.release(b!.ptr);
          }
          intact();
        }
        for (const b of live.splice(0)) heap.release(b.ptr);
        assert.equal(heap.allocatedBytes, 0);
        assert.equal(heap.allocate(4), 64, 'after freeing everything the heap starts over at its base');
        heap.release(64);
      }),
      { numRuns: 60 },
    );
  });

  it('release of an unknown pointer is KernelMemoryFreeError', () => {
    const heap = new KernelHeap(1);
    assert.throws(
      () => heap.release(128),
      (err: Error) => err.name === 'KernelMemoryFreeError',
    );
  });

  it('a request beyond 4 GiB is KernelMemoryExhaustedError', () => {
    const heap = new KernelHeap(1);
    assert.throws(
      () => heap.allocate(2 ** 32),
      (err: Error) => err.name === 'KernelMemoryExhaustedError',
    );
  });
});

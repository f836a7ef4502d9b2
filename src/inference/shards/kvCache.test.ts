import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadGroupCache } from './kvCache.ts';

/** A cache of 2 heads of 3 holding `n` entries whose keys are 100·head + entry (values: the negatives). */
function filled(n: number): HeadGroupCache {
  const cache = new HeadGroupCache(2, 3, 6);
  const target = cache.append(n);
  for (let h = 0; h < 2; h++) {
    for (let e = 0; e < n; e++) {
      target.k.fill(100 * h + e, (h * 6 + e) * 3, (h * 6 + e + 1) * 3);
      target.v.fill(-(100 * h + e), (h * 6 + e) * 3, (h * 6 + e + 1) * 3);
    }
  }
  return cache;
}

const entries = (buf: Float32Array, head: number, n: number) =>
  Array.from({ length: n }, (_, e) => buf[(head * 6 + e) * 3]);

describe('HeadGroupCache', () => {
  it('keeps entries [keepFrom, keepTo) at slots 0.. of every head', () => {
    const cache = filled(5);
    cache.applyWindow({ keepFrom: 2, keepTo: 4 });
    assert.equal(cache.length, 2);
    assert.deepEqual(entries(cache.append(0).k, 0, 2), [2, 3]);
    assert.deepEqual(entries(cache.append(0).k, 1, 2), [102, 103]);
    assert.deepEqual(entries(cache.append(0).v, 1, 2), [-102, -103]);
    assert.equal(cache.append(1).offset, 2);
    cache.applyWindow({ keepFrom: 0, keepTo: 0 });
    assert.equal(cache.length, 0);
  });

  it('refuses a window beyond its entries with CacheWindowInvalidError and overflow with KvCacheFullError', () => {
    const cache = filled(4);
    for (const window of [
      { keepFrom: 0, keepTo: 5 },
      { keepFrom: 3, keepTo: 2 },
      { keepFrom: -1, keepTo: 2 },
      { keepFrom: 0, keepTo: 1.5 },
    ]) {
      assert.throws(() => cache.applyWindow(window), { name: 'CacheWindowInvalidError' });
    }
    assert.throws(() => cache.checkAppend({ keepFrom: 1, keepTo: 4 }, 4), { name: 'KvCacheFullError' });
    assert.throws(() => cache.append(3), { name: 'KvCacheFullError' });
    assert.equal(cache.length, 4);
    assert.deepEqual(entries(cache.append(0).k, 1, 4), [100, 101, 102, 103]);
    cache.checkAppend({ keepFrom: 1, keepTo: 4 }, 3);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NonceCache } from './nonceCache.ts';

test('a nonce is fresh once, replayed until it expires, and the cache never forgets a live one', () => {
  const cache = new NonceCache(2);
  assert.equal(cache.remember('a', 100, 50), 'fresh');
  assert.equal(cache.remember('a', 100, 60), 'replayed');
  assert.equal(cache.remember('b', 70, 60), 'fresh');
  assert.equal(cache.remember('c', 100, 60), 'full', 'both live: refuse rather than forget');
  assert.equal(cache.remember('c', 100, 80), 'fresh', 'b expired and was pruned');
  assert.equal(cache.size, 2);
  assert.equal(cache.remember('a', 100, 90), 'replayed');
  assert.equal(cache.has('a', 100), true);
  assert.equal(cache.has('a', 101), false, 'expired');
  assert.equal(cache.has('z', 0), false);
});

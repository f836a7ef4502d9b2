import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryBackoff } from './retryBackoff.ts';

test('the delay doubles per failure up to the cap, in the chain time it is given', () => {
  const backoff = new RetryBackoff<bigint>(2, 16);
  const at = [100, 102, 106, 114, 130, 146].map((now) => backoff.failed(1n, 'same', now).retryAt - now);
  assert.deepEqual(at, [2, 4, 8, 16, 16, 16]);
  backoff.forget(1n);
  assert.equal(backoff.failed(1n, 'same', 200).retryAt, 202, 'forgotten: starts over');
});

test('a failure is new (to be logged) only when its reason differs from the last one', () => {
  const backoff = new RetryBackoff<bigint>(2, 16);
  const reasons = ['expired', 'expired', 'expired', 'unauthorized', 'unauthorized', 'expired'];
  assert.deepEqual(
    reasons.map((reason, i) => backoff.failed(7n, reason, i).newReason),
    [true, false, false, true, false, true],
  );
  assert.equal(backoff.failed(8n, 'expired', 0).newReason, true, 'per key');
});

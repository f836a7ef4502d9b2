import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { decodeTaskAnnouncement, encodeTaskAnnouncement, type TaskAnnouncement } from './taskAnnouncement.ts';

const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const hex32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString('hex')}` as Hex);

test('announcements round-trip through the wire format', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('task-created' as const, 'revealed' as const, 'finalized' as const),
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      fc.option(hex32, { nil: undefined }),
      fc.option(fc.bigInt({ min: 0n, max: 10n ** 30n }), { nil: undefined }),
      (type, taskId, digest, pool) => {
        const a: TaskAnnouncement = { type, chainId: 31337, taskId, from: FROM };
        if (digest) a.resultDigest = digest;
        if (pool !== undefined) a.pool = pool.toString();
        assert.deepEqual(decodeTaskAnnouncement(encodeTaskAnnouncement(a)), a);
      },
    ),
    { numRuns: 200 },
  );
});

test('off-schema messages raise GossipMessageInvalidError, arbitrary bytes never crash', () => {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const good = { v: 1, type: 'finalized', chainId: 1, taskId: '5', from: FROM };
  for (const bad of [
    { ...good, v: 2 },
    { ...good, type: 'created' },
    { ...good, taskId: 5 },
    { ...good, taskId: '05' },
    { ...good, taskId: (1n << 256n).toString() },
    { ...good, from: '0x1234' },
    { ...good, resultDigest: '0x12' },
    { ...good, pool: 'abc' },
    { ...good, extra: true },
    { ...good, chainId: -1 },
    [good],
  ]) {
    assert.throws(
      () => decodeTaskAnnouncement(enc(bad)),
      { name: 'GossipMessageInvalidError' },
      JSON.stringify(bad),
    );
  }
  assert.throws(() => decodeTaskAnnouncement(enc({ ...good, pool: '1'.repeat(3000) })), {
    name: 'GossipMessageInvalidError',
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.throws(() => decodeTaskAnnouncement(bytes), { name: 'GossipMessageInvalidError' });
    }),
  );
  assert.throws(() => encodeTaskAnnouncement({ type: 'revealed', chainId: 1, taskId: -1n, from: FROM }), {
    name: 'GossipMessageInvalidError',
  });
});

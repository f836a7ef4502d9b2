import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escrowFor, reward, UINT256_MAX } from './rewards.ts';

test('reward grows with the number of revealers and rounds down', () => {
  assert.equal(reward(100n, 500, 1), 100n);
  assert.equal(reward(100n, 500n, 3), 110n);
  assert.equal(reward(7n, 3333, 2), 9n); // 7 * 13333 / 10000 = 9.3331
  assert.equal(reward(0n, 10_000, 50), 0n);
  assert.equal(reward(10n ** 18n, 0, 1000), 10n ** 18n);
});

test('escrow is maxParticipants times the reward at maxParticipants', () => {
  assert.equal(escrowFor(100n, 500, 3), 330n);
  assert.equal(escrowFor(7n, 3333, 2), 18n);
});

test('invalid parameters raise RewardInvalidParameterError', () => {
  const bad: [bigint, bigint | number, number][] = [
    [-1n, 0, 1],
    [1n << 256n, 0, 1],
    [1n, -1, 1],
    [1n, 0.5, 1],
    [1n, Number.NaN, 1],
    [1n, 1n << 256n, 1],
    [1n, 0, 0],
    [1n, 0, 2.5],
  ];
  for (const [base, growth, n] of bad) {
    assert.throws(
      () => reward(base, growth, n),
      { name: 'RewardInvalidParameterError' },
      `${base} ${growth} ${n}`,
    );
  }
  assert.throws(() => escrowFor(1n, 0, 0), { name: 'RewardInvalidParameterError' });
});

test('values the contract could not compute raise RewardOverflowError', () => {
  assert.throws(() => reward(UINT256_MAX, 1, 2), { name: 'RewardOverflowError' });
  assert.throws(() => reward(1n, UINT256_MAX, 3), { name: 'RewardOverflowError' });
  assert.throws(() => escrowFor(UINT256_MAX / 10_000n, 0, 10_001), { name: 'RewardOverflowError' });
  assert.equal(reward(UINT256_MAX / 10_000n, 0, 7), UINT256_MAX / 10_000n);
});

test('property: reward is floor(base * (10000 + g * (n - 1)) / 10000), at least base, non-decreasing in n', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 30n }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 1, max: 1000 }),
      (base, growth, n) => {
        const r = reward(base, growth, n);
        const numerator = base * (10_000n + BigInt(growth) * BigInt(n - 1));
        assert.ok(r * 10_000n <= numerator && numerator < (r + 1n) * 10_000n, 'floor division');
        assert.ok(r >= base);
        assert.ok(reward(base, growth, n + 1) >= r);
        assert.equal(reward(base, BigInt(growth), n), r);
      },
    ),
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { decideMajority, type Reveal } from './majority.ts';
import { addressOf, digestOf } from './testVotes.ts';

const A = digestOf(0xa);
const B = digestOf(0xb);

function reveal(index: number, digest: Hex, stake: bigint): Reveal {
  return { participant: addressOf(index), digest, stake };
}

/** Naive recomputation: the digest with 2 * stake > total among >= quorum revealers, else null. */
function naiveWinner(reveals: readonly Reveal[], quorum: number): Hex | null {
  if (reveals.length < quorum) return null;
  const total = reveals.reduce((s, r) => s + r.stake, 0n);
  for (const { digest } of reveals) {
    const stake = reveals.filter((r) => r.digest === digest).reduce((s, r) => s + r.stake, 0n);
    if (2n * stake > total) return digest;
  }
  return null;
}

const revealsArb = fc
  .array(
    fc.record({
      digest: fc.integer({ min: 1, max: 4 }),
      stake: fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
    }),
    { maxLength: 12 },
  )
  .map((rows) => rows.map((r, i) => reveal(i + 1, digestOf(r.digest), r.stake)));

test('the winner is the digest with strictly more than half of the stake', () => {
  const decision = decideMajority([reveal(1, A, 60n), reveal(2, B, 40n), reveal(3, A, 1n)], 2);
  assert.equal(decision.winner, A);
  assert.equal(decision.totalStake, 101n);
  assert.equal(decision.revealers, 3);
  assert.deepEqual(decision.tally, [
    { digest: A, stake: 61n, participants: [addressOf(1), addressOf(3)] },
    { digest: B, stake: 40n, participants: [addressOf(2)] },
  ]);
});

test('exactly half of the stake is not a majority', () => {
  const decision = decideMajority([reveal(1, A, 50n), reveal(2, B, 30n), reveal(3, digestOf(3), 20n)], 1);
  assert.equal(decision.winner, null);
  assert.equal(decision.winner === null && decision.reason, 'no-majority');
});

test('fewer distinct revealers than the quorum gives no winner, even with all stake agreeing', () => {
  const decision = decideMajority([reveal(1, A, 10n), reveal(2, A, 10n)], 3);
  assert.equal(decision.winner, null);
  assert.equal(decision.winner === null && decision.reason, 'below-quorum');
  assert.equal(decideMajority([reveal(1, A, 10n), reveal(2, A, 10n), reveal(3, B, 1n)], 3).winner, A);
});

test('zero-stake reveals count toward the quorum but add no weight', () => {
  const decision = decideMajority([reveal(1, A, 0n), reveal(2, B, 0n), reveal(3, B, 5n)], 3);
  assert.equal(decision.winner, B);
  const allZero = decideMajority([reveal(1, A, 0n), reveal(2, A, 0n)], 2);
  assert.equal(allZero.winner === null && allZero.reason, 'no-majority');
});

test('no reveals: below quorum', () => {
  const decision = decideMajority([], 1);
  assert.equal(decision.winner === null && decision.reason, 'below-quorum');
  assert.deepEqual(decision.tally, []);
});

test('digests and addresses compare case-insensitively; the winner is lower-case', () => {
  const upper = `0x${'AB'.repeat(32)}` as Hex;
  const decision = decideMajority([reveal(1, upper, 3n), reveal(2, upper.toLowerCase() as Hex, 3n)], 2);
  assert.equal(decision.winner, upper.toLowerCase());
  const checksummed = '0x52908400098527886E0F7030069857D2E4169EE7';
  assert.throws(
    () =>
      decideMajority(
        [
          { participant: checksummed, digest: A, stake: 1n },
          { participant: checksummed.toLowerCase() as Hex, digest: A, stake: 1n },
        ],
        1,
      ),
    { name: 'VoteDuplicateParticipantError' },
  );
});

test('the tally is ordered by stake descending, then digest ascending', () => {
  const decision = decideMajority([reveal(1, B, 5n), reveal(2, A, 5n), reveal(3, digestOf(1), 9n)], 1);
  assert.deepEqual(
    decision.tally.map((t) => t.digest),
    [digestOf(1), A, B],
  );
});

test('invalid input raises named errors', () => {
  assert.throws(() => decideMajority([reveal(1, A, 1n), reveal(1, B, 1n)], 1), {
    name: 'VoteDuplicateParticipantError',
  });
  assert.throws(() => decideMajority([{ participant: '0x12', digest: A, stake: 1n }], 1), {
    name: 'VoteInvalidParticipantError',
  });
  assert.throws(() => decideMajority([reveal(1, '0x1234', 1n)], 1), { name: 'VoteInvalidDigestError' });
  assert.throws(() => decideMajority([reveal(1, `0x${'zz'.repeat(32)}`, 1n)], 1), {
    name: 'VoteInvalidDigestError',
  });
  assert.throws(() => decideMajority([reveal(1, A, -1n)], 1), { name: 'VoteInvalidStakeError' });
  for (const quorum of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => decideMajority([reveal(1, A, 1n)], quorum), { name: 'VoteInvalidQuorumError' });
  }
});

test('property: matches a naive recomputation for any stake split and quorum', () => {
  fc.assert(
    fc.property(revealsArb, fc.integer({ min: 1, max: 13 }), (reveals, quorum) => {
      const decision = decideMajority(reveals, quorum);
      assert.equal(decision.winner, naiveWinner(reveals, quorum));
      const total = reveals.reduce((s, r) => s + r.stake, 0n);
      assert.equal(decision.totalStake, total);
      assert.equal(
        decision.tally.reduce((s, t) => s + t.stake, 0n),
        total,
      );
      if (decision.winner !== null) {
        const entry = decision.tally.find((t) => t.digest === decision.winner)!;
        assert.ok(2n * entry.stake > total, 'a winner always has a strict majority');
        assert.ok(reveals.length >= quorum);
      } else if (reveals.length >= quorum) {
        assert.equal(decision.reason, 'no-majority');
        assert.ok(decision.tally.every((t) => 2n * t.stake <= total));
      } else {
        assert.equal(decision.reason, 'below-quorum');
      }
    }),
    { numRuns: 500 },
  );
});

test('property: two digests with equal stake never produce a winner', () => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 6 }),
      (left, right) => {
        const leftSum = left.reduce((s, x) => s + x, 0n);
        const rightSum = right.reduce((s, x) => s + x, 0n);
        // Pad the lighter side with one reveal so both sides hold exactly the same stake.
        const pad = leftSum > rightSum ? [...right, leftSum - rightSum] : right;
        const padLeft = rightSum > leftSum ? [...left, rightSum - leftSum] : left;
        const reveals = [
          ...padLeft.map((s, i) => reveal(i + 1, A, s)),
          ...pad.map((s, i) => reveal(100 + i, B, s)),
        ];
        assert.equal(decideMajority(reveals, 1).winner, null);
      },
    ),
  );
});

test('property: the decision does not depend on the order of reveals', () => {
  fc.assert(
    fc.property(
      revealsArb.chain((reveals) =>
        fc.tuple(fc.constant(reveals), fc.shuffledSubarray(reveals, { minLength: reveals.length })),
      ),
      ([reveals, shuffled]) => {
        assert.deepEqual(decideMajority(shuffled, 1), decideMajority(reveals, 1));
      },
    ),
    { numRuns: 200 },
  );
});

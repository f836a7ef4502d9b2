import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { tensorDigest } from './digest.ts';
import { addressOf } from './testVotes.ts';
import { decideTolerant, type TolerantVote } from './tolerant.ts';

function vote(index: number, stake: bigint, ...values: number[]): TolerantVote {
  return { participant: addressOf(index), stake, vector: Float32Array.from(values) };
}

/** Naive: are all elements within epsilon? */
function close(a: Float32Array, b: Float32Array, epsilon: number): boolean {
  return Array.from(a).every((v, k) => Math.abs(v - b[k]!) <= epsilon);
}

/** Naive: the stake of every vote within epsilon of `center`. */
function neighbourhoodStake(votes: readonly TolerantVote[], center: TolerantVote, epsilon: number): bigint {
  return votes.filter((v) => close(v.vector, center.vector, epsilon)).reduce((s, v) => s + v.stake, 0n);
}

test('near-identical vectors form the winning cluster; a far one is left out', () => {
  const votes = [vote(1, 10n, 1, 2), vote(2, 10n, 1.000001, 2), vote(3, 15n, 5, 2)];
  const decision = decideTolerant(votes, 1e-5);
  assert.deepEqual(
    decision.members.map((m) => m.participant),
    [addressOf(1), addressOf(2)],
  );
  assert.equal(decision.stake, 20n);
  assert.equal(decision.totalStake, 35n);
  assert.equal(decision.hasMajority, true);
  assert.equal(decideTolerant(votes, 0).hasMajority, false);
  assert.equal(decideTolerant(votes, 0).representative.participant, addressOf(3));
});

test('agreement is not transitive: the vote in the middle gathers both sides', () => {
  const decision = decideTolerant([vote(1, 1n, 0), vote(2, 1n, 0.75), vote(3, 1n, 1.5)], 1);
  assert.equal(decision.representative.participant, addressOf(2));
  assert.equal(decision.members.length, 3);
});

test('ties on stake go to the lowest vector digest, then to the lowest address', () => {
  const left = vote(1, 5n, 1, 1);
  const right = vote(2, 5n, 9, 9);
  const digestOf = (v: TolerantVote) => tensorDigest({ dtype: 'f32', shape: [2], data: v.vector });
  const expected = digestOf(left) < digestOf(right) ? left : right;
  for (const votes of [
    [left, right],
    [right, left],
  ]) {
    const decision = decideTolerant(votes, 0.1);
    assert.equal(decision.representative, expected);
    assert.equal(decision.digest, digestOf(expected));
  }
  const twin = decideTolerant([vote(7, 5n, 3), vote(4, 5n, 3)], 0);
  assert.equal(twin.representative.participant, addressOf(4));
});

const votesArb = fc.integer({ min: 0, max: 6 }).chain((length) =>
  fc
    .array(
      fc.record({
        stake: fc.bigInt({ min: 0n, max: 100n }),
        vector: fc.array(fc.constantFrom(0, 0.25, 0.5, 1, -0, -0.5), {
          minLength: length,
          maxLength: length,
        }),
      }),
      { minLength: 1, maxLength: 8 },
    )
    .map((rows) => rows.map((r, i) => vote(i + 1, r.stake, ...r.vector))),
);

test('property: the cluster is exactly the votes within epsilon of the representative, whose stake is maximal', () => {
  fc.assert(
    fc.property(
      votesArb.chain((v) => fc.tuple(fc.constant(v), fc.shuffledSubarray(v, { minLength: v.length }))),
      fc.constantFrom(0, 0.25, 0.3, 0.5, 1),
      ([votes, shuffled], epsilon) => {
        const decision = decideTolerant(votes, epsilon);
        const { representative } = decision;
        const expected = votes.filter((v) => close(v.vector, representative.vector, epsilon));
        assert.deepEqual(new Set(decision.members), new Set(expected));
        assert.equal(decision.stake, neighbourhoodStake(votes, representative, epsilon));
        for (const v of votes) assert.ok(neighbourhoodStake(votes, v, epsilon) <= decision.stake);
        assert.equal(decision.hasMajority, 2n * decision.stake > decision.totalStake);
        const again = decideTolerant(shuffled, epsilon);
        assert.equal(again.representative, representative);
        assert.deepEqual(again.members, decision.members);
      },
    ),
    { numRuns: 300 },
  );
});

test('invalid input raises named errors', () => {
  const ok = vote(1, 1n, 1, 2);
  assert.throws(() => decideTolerant([], 0.1), { name: 'VoteEmptyError' });
  for (const epsilon of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => decideTolerant([ok], epsilon), { name: 'VoteInvalidEpsilonError' });
  }
  assert.throws(() => decideTolerant([ok, vote(1, 1n, 1, 2)], 0.1), {
    name: 'VoteDuplicateParticipantError',
  });
  assert.throws(() => decideTolerant([{ ...ok, participant: '0xabc' }], 0.1), {
    name: 'VoteInvalidParticipantError',
  });
  assert.throws(() => decideTolerant([ok, vote(2, 1n, 1)], 0.1), { name: 'VoteLengthMismatchError' });
  assert.throws(() => decideTolerant([ok, vote(2, 1n, 1, Number.NaN)], 0.1), { name: 'VoteNonFiniteError' });
  assert.throws(() => decideTolerant([ok, vote(2, 1n, Number.NEGATIVE_INFINITY, 1)], 0.1), {
    name: 'VoteNonFiniteError',
  });
  assert.throws(() => decideTolerant([ok, vote(2, -1n, 1, 2)], 0.1), { name: 'VoteInvalidStakeError' });
});

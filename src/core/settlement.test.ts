import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { reward } from './rewards.ts';
import {
  previewSettlement,
  type SettlementCommitter,
  type SettlementPreview,
  type SettlementTask,
} from './settlement.ts';
import { addressOf, digestOf } from './testVotes.ts';

const A = digestOf(0xa);
const B = digestOf(0xb);

const task: SettlementTask = {
  baseReward: 100n,
  growthBps: 1000,
  maxParticipants: 5,
  quorum: 3,
  bond: 10n,
  stakeSlash: 7n,
};

function committer(index: number, revealed: Hex | null, stake = 100n): SettlementCommitter {
  return { participant: addressOf(index), stake, revealed };
}

function sumOf(
  preview: SettlementPreview,
  field: 'payout' | 'bondReturned' | 'bondLost' | 'slashed',
): bigint {
  return preview.participants.reduce((s, p) => s + p[field], 0n);
}

/** Everything in (escrow, bonds, slashed stake) minus everything out (payouts, returned bonds, refund, fee). */
function imbalance(preview: SettlementPreview): bigint {
  const tokensIn = preview.escrow + preview.bondsIn + preview.stakeSlashed;
  const tokensOut =
    sumOf(preview, 'payout') + sumOf(preview, 'bondReturned') + preview.refundToCreator + preview.fee;
  return tokensIn - tokensOut;
}

test('with a winner: rewards, pot split, slashing, forfeited bonds and refund', () => {
  // Three winners, one minority revealer and one committer that never revealed (each slashed min(7, 100) = 7).
  const preview = previewSettlement(task, [
    committer(1, A),
    committer(2, B),
    committer(3, A),
    committer(4, null),
    committer(5, A),
  ]);
  const each = reward(100n, 1000, 4); // 4 revealers: 100 * 13000 / 10000 = 130
  assert.equal(each, 130n);
  assert.equal(preview.winner, A);
  assert.equal(preview.failure, null);
  assert.equal(preview.escrow, 5n * reward(100n, 1000, 5));
  assert.equal(preview.bondsIn, 50n);
  assert.equal(preview.bondsLost, 20n);
  assert.equal(preview.stakeSlashed, 14n);
  assert.equal(preview.pot, 34n);
  assert.equal(preview.potRemainder, 1n);
  assert.deepEqual(
    preview.participants.map((p) => [p.outcome, p.payout, p.bondReturned, p.bondLost, p.slashed]),
    [
      ['winner', each + 11n, 10n, 0n, 0n],
      ['minority', 0n, 0n, 10n, 7n],
      ['winner', each + 11n, 10n, 0n, 0n],
      ['unrevealed', 0n, 0n, 10n, 7n],
      ['winner', each + 11n, 10n, 0n, 0n],
    ],
  );
  assert.equal(preview.refundToCreator, preview.escrow - 3n * each + 1n);
  assert.equal(imbalance(preview), 0n);
});

test('the pot remainder goes to the creator, and slashing is capped at the stake', () => {
  const preview = previewSettlement({ ...task, quorum: 1 }, [
    committer(1, A, 50n),
    committer(2, A, 50n),
    committer(3, B, 3n),
    committer(4, null),
  ]);
  // pot = 2 lost bonds (20) + min(7, 3) + min(7, 100) = 30 over 2 winners: 15 each, remainder 0.
  assert.equal(preview.pot, 30n);
  assert.equal(preview.participants[0]!.potShare, 15n);
  assert.equal(preview.potRemainder, 0n);
  assert.equal(preview.participants[2]!.slashed, 3n);
  assert.equal(preview.participants[3]!.slashed, 7n);
  assert.equal(preview.refundToCreator, preview.escrow - 2n * reward(100n, 1000, 3));
  assert.equal(imbalance(preview), 0n);
});

test('without a winner: revealers get their bonds back and share what the non-revealers forfeit', () => {
  const split = previewSettlement(task, [
    committer(1, A),
    committer(2, B),
    committer(3, null),
    committer(4, A, 0n),
  ]);
  assert.equal(split.winner, null);
  assert.equal(split.failure, 'no-majority');
  const tie = previewSettlement(task, [
    committer(1, A),
    committer(2, B),
    committer(3, null),
    committer(4, B, 0n),
  ]);
  assert.equal(tie.failure, 'no-majority');
  const few = previewSettlement(task, [committer(1, A), committer(2, A), committer(3, null)]);
  assert.equal(few.failure, 'below-quorum');
  // The non-revealer forfeits its bond and min(7, 100): 17, shared by 3 revealers (5 each, 2 to the
  // creator) or, below quorum, by 2 (8 each, 1 to the creator).
  for (const [preview, share, remainder] of [
    [split, 5n, 2n],
    [tie, 5n, 2n],
    [few, 8n, 1n],
  ] as const) {
    assert.equal(preview.refundToCreator, preview.escrow + remainder);
    assert.equal(preview.stakeSlashed, 7n);
    assert.equal(preview.fee, 0n);
    for (const p of preview.participants) {
      assert.equal(p.payout, p.outcome === 'unrevealed' ? 0n : share);
      assert.equal(p.slashed, p.outcome === 'unrevealed' ? 7n : 0n);
      assert.equal(p.bondReturned, p.outcome === 'unrevealed' ? 0n : 10n);
      assert.equal(p.outcome === 'unrevealed' || p.outcome === 'no-winner', true);
    }
    assert.equal(imbalance(preview), 0n);
  }
});

test('a failed task nobody revealed in gives the forfeits to the creator', () => {
  const preview = previewSettlement(task, [committer(1, null), committer(2, null, 3n)]);
  assert.equal(preview.revealers, 0);
  assert.equal(preview.refundToCreator, preview.escrow + 20n + 7n + 3n);
  assert.equal(imbalance(preview), 0n);
});

test('winners earn units against the reward paid; the fee goes to existing holders only', () => {
  const ccd = 10n ** 18n;
  const paying = { ...task, baseReward: 2n * ccd, growthBps: 0, quorum: 1, feeBps: 1000 };
  const preview = previewSettlement(paying, [committer(1, A), committer(2, A)]);
  assert.equal(preview.escrow, 5n * 2n * ccd + ccd); // 10 CCD of rewards at most, plus 10%
  assert.deepEqual(
    preview.participants.map((p) => p.units),
    [2_000_000n, 2_000_000n],
  );
  assert.equal(preview.fee, (4n * ccd) / 10n);
  assert.equal(preview.refundToCreator, preview.escrow - 4n * ccd - preview.fee);
  assert.equal(imbalance(preview), 0n);
  const first = previewSettlement({ ...paying, unitsExist: false }, [committer(1, A)]);
  assert.equal(first.fee, 0n);
  assert.equal(imbalance(first), 0n);
  const free = previewSettlement({ ...task, baseReward: 0n, quorum: 1 }, [committer(1, A)]);
  assert.equal(free.participants[0]!.units, 0n, 'a zero-reward task mints nothing');
});

test('a task nobody committed to refunds the whole escrow', () => {
  const preview = previewSettlement(task, []);
  assert.equal(preview.failure, 'below-quorum');
  assert.equal(preview.refundToCreator, preview.escrow);
});

test('invalid input raises named errors', () => {
  const six = [1, 2, 3, 4, 5, 6].map((i) => committer(i, A));
  assert.throws(() => previewSettlement(task, six), { name: 'SettlementTooManyCommittersError' });
  assert.throws(() => previewSettlement(task, [committer(1, A), committer(1, null)]), {
    name: 'VoteDuplicateParticipantError',
  });
  assert.throws(() => previewSettlement({ ...task, bond: -1n }, []), { name: 'RewardInvalidParameterError' });
  assert.throws(() => previewSettlement({ ...task, stakeSlash: -1n }, []), {
    name: 'RewardInvalidParameterError',
  });
  assert.throws(() => previewSettlement({ ...task, maxParticipants: 0 }, []), {
    name: 'RewardInvalidParameterError',
  });
  assert.throws(() => previewSettlement({ ...task, quorum: 0 }, []), { name: 'VoteInvalidQuorumError' });
  assert.throws(() => previewSettlement(task, [committer(1, A, -5n)]), { name: 'VoteInvalidStakeError' });
});

const taskArb = fc.record({
  baseReward: fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 10n ** 24n })),
  growthBps: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.bigInt({ min: 0n, max: 20_000n })),
  maxParticipants: fc.integer({ min: 1, max: 12 }),
  quorum: fc.integer({ min: 1, max: 12 }),
  bond: fc.oneof(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 0n, max: 10n ** 21n })),
  stakeSlash: fc.oneof(fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 0n, max: 10n ** 21n })),
  feeBps: fc.integer({ min: 0, max: 10_000 }),
  unitsExist: fc.boolean(),
});

const scenarioArb = taskArb.chain((t) =>
  fc.tuple(
    fc.constant(t),
    fc
      .array(
        fc.record({
          stake: fc.oneof(fc.bigInt({ min: 0n, max: 40n }), fc.bigInt({ min: 0n, max: 10n ** 21n })),
          revealed: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
        }),
        { maxLength: t.maxParticipants },
      )
      .map((rows) =>
        rows.map((r, i) => committer(i + 1, r.revealed === null ? null : digestOf(r.revealed), r.stake)),
      ),
  ),
);

test('property: tokens are conserved exactly and every amount follows the rule', () => {
  fc.assert(
    fc.property(scenarioArb, ([t, committers]) => {
      const preview = previewSettlement(t, committers);
      assert.equal(imbalance(preview), 0n);
      assert.equal(preview.bondsIn, t.bond * BigInt(committers.length));
      assert.equal(sumOf(preview, 'bondReturned') + sumOf(preview, 'bondLost'), preview.bondsIn);
      assert.equal(sumOf(preview, 'slashed'), preview.stakeSlashed);
      assert.ok(preview.refundToCreator >= 0n);
      const revealers = committers.filter((c) => c.revealed !== null);
      assert.equal(preview.revealers, revealers.length);
      assert.equal(preview.pot, preview.bondsLost + preview.stakeSlashed);
      const cap = (stake: bigint) => (t.stakeSlash < stake ? t.stakeSlash : stake);
      if (preview.winner === null) {
        assert.equal(preview.fee, 0n);
        const sharers = BigInt(revealers.length);
        for (const [i, p] of preview.participants.entries()) {
          const c = committers[i]!;
          if (c.revealed === null) assert.deepEqual([p.payout, p.slashed], [0n, cap(c.stake)]);
          else assert.deepEqual([p.payout, p.bondReturned], [preview.pot / sharers, t.bond]);
        }
        assert.equal(
          preview.refundToCreator,
          preview.escrow + (sharers === 0n ? preview.pot : preview.pot % sharers),
        );
        return;
      }
      const winners = preview.participants.filter((p) => p.outcome === 'winner');
      const each = reward(t.baseReward, t.growthBps, revealers.length);
      for (const [i, p] of preview.participants.entries()) {
        const c = committers[i]!;
        assert.equal(p.participant, c.participant);
        if (p.outcome === 'winner') {
          assert.equal(c.revealed, preview.winner);
          assert.equal(p.payout, each + preview.pot / BigInt(winners.length));
          assert.equal(p.bondReturned, t.bond);
        } else {
          assert.equal(p.payout, 0n);
          assert.equal(p.bondLost, t.bond);
          assert.equal(p.slashed, cap(c.stake));
        }
      }
      assert.equal(preview.potRemainder, preview.pot % BigInt(winners.length));
      const paid = BigInt(winners.length) * each;
      assert.equal(preview.fee, t.unitsExist ? (paid * BigInt(t.feeBps)) / 10_000n : 0n);
      assert.equal(preview.refundToCreator, preview.escrow - paid - preview.fee + preview.potRemainder);
    }),
    { numRuns: 1000 },
  );
});

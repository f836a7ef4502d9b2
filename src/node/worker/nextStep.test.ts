import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type LocalTaskState, nextStep, type TaskSnapshot } from './nextStep.ts';
import { DEFAULT_TASK_POLICY, refusalOf, type TaskPolicy } from './taskPolicy.ts';

const COMMIT = 100;
const REVEAL = 200;

function snap(overrides: Partial<TaskSnapshot> = {}, me: Partial<TaskSnapshot['me']> = {}): TaskSnapshot {
  return {
    status: 'open',
    committeeDrawn: true,
    committeeLength: 3,
    committed: 0,
    revealed: 0,
    commitDeadline: COMMIT,
    revealDeadline: REVEAL,
    creator: { isMe: false, refundClaimable: false },
    terms: {
      baseReward: 10n,
      bond: 10n,
      stakeSlash: 100n,
      quorum: 2,
      committeeLength: 3,
      unlockedStake: 1000n,
    },
    ...overrides,
    me: { status: 'member', claimed: false, payout: 0n, ...me },
  };
}

describe('nextStep', () => {
  it('refuses a task whose terms are outside the policy, as a member, and still finalizes as its creator', () => {
    const policy: TaskPolicy = {
      maxBond: 20n,
      maxSlashMultiple: 10n,
      minCommitSeconds: 10,
      minRevealSeconds: 60,
      maxLockSeconds: REVEAL - 10,
    };
    const refused = (
      terms: Partial<TaskSnapshot['terms']>,
      overrides: Partial<TaskSnapshot> = {},
      now = 10,
    ) => {
      const base = snap(overrides);
      return nextStep({ ...base, terms: { ...base.terms, ...terms } }, 'new', now, { policy });
    };
    assert.deepEqual(refused({}), { step: 'compute' });
    assert.match((refused({ bond: 21n }) as { reason: string }).reason, /bond 21 above --max-bond 20/);
    assert.match((refused({ stakeSlash: 101n }) as { reason: string }).reason, /stakeSlash 101 above 10x/);
    assert.match(
      (refused({}, { revealDeadline: COMMIT + 59 }) as { reason: string }).reason,
      /reveal window/,
    );
    assert.match((refused({}, {}, COMMIT - 9) as { reason: string }).reason, /to commit/);
    assert.match((refused({ unlockedStake: 99n }) as { reason: string }).reason, /unlocked stake 99/);
    assert.match((refused({}, {}, 9) as { reason: string }).reason, /--max-lock-seconds/);
    assert.match((refused({ quorum: 4 }) as { reason: string }).reason, /committee of 3 below quorum 4/);
    const creator = { creator: { isMe: true, refundClaimable: false } };
    assert.deepEqual(refused({ bond: 21n }, creator), { step: 'wait', until: REVEAL });
  });

  it('walks an honest member through the whole lifecycle', () => {
    assert.deepEqual(
      nextStep(snap({ committeeDrawn: false, committeeLength: 0 }, { status: 'none' }), 'new', 10),
      {
        step: 'draw',
      },
    );
    assert.deepEqual(nextStep(snap(), 'new', 10), { step: 'compute' });
    assert.deepEqual(nextStep(snap(), 'computed', 10), { step: 'commit' });
    // Committed while others still compute: wait for the commit deadline.
    assert.deepEqual(nextStep(snap({ committed: 1 }, { status: 'committed' }), 'committed', 10), {
      step: 'wait',
      until: COMMIT,
    });
    // Everyone committed: reveal opens early.
    assert.deepEqual(nextStep(snap({ committed: 3 }, { status: 'committed' }), 'committed', 10), {
      step: 'reveal',
    });
    // Revealed, others not yet: wait for the reveal deadline.
    assert.deepEqual(nextStep(snap({ committed: 3, revealed: 1 }, { status: 'revealed' }), 'revealed', 10), {
      step: 'wait',
      until: REVEAL,
    });
    // Everyone revealed: finalize early.
    assert.deepEqual(nextStep(snap({ committed: 3, revealed: 3 }, { status: 'revealed' }), 'revealed', 10), {
      step: 'finalize',
    });
    const settled = snap(
      { status: 'finalized', committed: 3, revealed: 3 },
      { status: 'revealed', payout: 5n },
    );
    assert.equal(nextStep(settled, 'revealed', 10).step, 'record');
    assert.deepEqual(nextStep(settled, 'finalized', 10), { step: 'claim' });
    const claimed = { ...settled, me: { ...settled.me, claimed: true } };
    assert.deepEqual(nextStep(claimed, 'finalized', 10), {
      step: 'record',
      to: 'claimed',
      reason: 'claim confirmed',
    });
    assert.deepEqual(nextStep(claimed, 'claimed', 10), { step: 'done', reason: 'task finalized' });
  });

  it('reveals after the commit deadline even if some members never committed', () => {
    assert.deepEqual(nextStep(snap({ committed: 2 }, { status: 'committed' }), 'committed', COMMIT), {
      step: 'reveal',
    });
  });

  it('catches the journal up with transactions sent before a crash', () => {
    assert.deepEqual(nextStep(snap({ committed: 1 }, { status: 'committed' }), 'computed', 10), {
      step: 'record',
      to: 'committed',
      reason: 'commit confirmed',
    });
    assert.equal(
      nextStep(snap({ committed: 3, revealed: 1 }, { status: 'revealed' }), 'committed', 10).step ===
        'record',
      true,
    );
    const settledClaimed = snap({ status: 'finalized' }, { status: 'revealed', claimed: true, payout: 5n });
    assert.deepEqual(nextStep(settledClaimed, 'finalized', 300), {
      step: 'record',
      to: 'claimed',
      reason: 'claim confirmed',
    });
  });

  it('resumes a journaled commitment with the same salt instead of recomputing', () => {
    assert.deepEqual(nextStep(snap(), 'computed', COMMIT - 1), { step: 'commit' });
  });

  it('gives up a computed result whose commit window closed', () => {
    assert.deepEqual(nextStep(snap(), 'computed', COMMIT), {
      step: 'record',
      to: 'failed',
      reason: 'commit deadline passed',
    });
    assert.deepEqual(nextStep(snap(), 'new', COMMIT), { step: 'done', reason: 'commit deadline passed' });
  });

  it('a committer that missed the reveal window finalizes and records the loss', () => {
    const late = snap({ committed: 3, revealed: 2 }, { status: 'committed' });
    assert.deepEqual(nextStep(late, 'committed', REVEAL), { step: 'finalize' });
    const after = { ...late, status: 'finalized' as const };
    assert.deepEqual(nextStep(after, 'committed', REVEAL), {
      step: 'record',
      to: 'failed',
      reason: 'task settled without our reveal',
    });
  });

  it('an outvoted revealer records failure; a failed task returns the bond', () => {
    const outvoted = snap({ status: 'finalized' }, { status: 'revealed', payout: 0n });
    assert.deepEqual(nextStep(outvoted, 'finalized', 300), {
      step: 'record',
      to: 'failed',
      reason: 'outvoted',
    });
    const failed = snap({ status: 'failed' }, { status: 'revealed', payout: 7n });
    assert.deepEqual(nextStep(failed, 'finalized', 300), { step: 'claim' });
  });

  it('ignores tasks of other committees, but a creator finalizes and claims its refund', () => {
    assert.deepEqual(nextStep(snap({}, { status: 'none' }), 'new', 10), {
      step: 'done',
      reason: 'not in the committee',
    });
    const mine = snap({ creator: { isMe: true, refundClaimable: false } }, { status: 'none' });
    assert.deepEqual(nextStep(mine, 'new', 10), { step: 'wait', until: REVEAL });
    assert.deepEqual(nextStep(mine, 'new', REVEAL), { step: 'finalize' });
    const refund = snap(
      { status: 'failed', creator: { isMe: true, refundClaimable: true } },
      { status: 'none' },
    );
    assert.deepEqual(nextStep(refund, 'new', REVEAL), { step: 'claim' });
    const undrawn = snap(
      { committeeDrawn: false, creator: { isMe: true, refundClaimable: false } },
      { status: 'none' },
    );
    assert.deepEqual(nextStep(undrawn, 'new', REVEAL), { step: 'finalize' });
  });

  it('never acts outside the protocol windows (property)', () => {
    const arb = fc.record({
      status: fc.constantFrom('open', 'finalized', 'failed'),
      committeeDrawn: fc.boolean(),
      committeeLength: fc.integer({ min: 0, max: 5 }),
      committed: fc.integer({ min: 0, max: 5 }),
      revealed: fc.integer({ min: 0, max: 5 }),
      me: fc.record({
        status: fc.constantFrom('none', 'member', 'committed', 'revealed'),
        claimed: fc.boolean(),
        payout: fc.bigInt({ min: 0n, max: 10n }),
      }),
      creator: fc.record({ isMe: fc.boolean(), refundClaimable: fc.boolean() }),
      terms: fc.record({
        baseReward: fc.bigInt({ min: 0n, max: 10n }),
        bond: fc.bigInt({ min: 0n, max: 10n ** 21n }),
        stakeSlash: fc.bigInt({ min: 0n, max: 200n }),
        unlockedStake: fc.bigInt({ min: 0n, max: 200n }),
      }),
    });
    const locals: LocalTaskState[] = [
      'new',
      'computed',
      'committed',
      'revealed',
      'finalized',
      'claimed',
      'failed',
    ];
    fc.assert(
      fc.property(
        arb,
        fc.constantFrom(...locals),
        fc.integer({ min: 0, max: 300 }),
        fc.option(arb, { nil: undefined }),
        (partial, local, now, older) => {
          const task = { ...partial, commitDeadline: COMMIT, revealDeadline: REVEAL } as TaskSnapshot;
          const confirmed =
            older && ({ ...older, commitDeadline: COMMIT, revealDeadline: REVEAL } as TaskSnapshot);
          const s = nextStep(task, local, now, { confirmed });
          const c = confirmed ?? task;
          if (s.step === 'done') {
            // Done only when the confirmed height owes this node nothing either.
            assert.ok(
              c.status === 'open' || ((c.me.claimed || c.me.payout === 0n) && !c.creator.refundClaimable),
            );
            assert.ok(
              task.status === 'open' ||
                ((task.me.claimed || task.me.payout === 0n) && !task.creator.refundClaimable),
            );
          }
          if (s.step === 'record') assert.notEqual(s.to, local);
          if (s.step === 'compute' || s.step === 'commit' || s.step === 'draw') {
            assert.ok(task.status === 'open' && now < COMMIT);
          }
          if (s.step === 'compute') {
            assert.equal(local, 'new');
            assert.equal(
              refusalOf(
                { ...task.terms, commitDeadline: COMMIT, revealDeadline: REVEAL },
                DEFAULT_TASK_POLICY,
                now,
              ),
              undefined,
            );
          }
          if (s.step === 'commit') assert.notEqual(local, 'new');
          if (s.step === 'reveal')
            assert.ok(task.status === 'open' && now < REVEAL && task.me.status === 'committed');
          if (s.step === 'claim') assert.ok(task.status !== 'open');
          if (s.step === 'finalize') assert.equal(task.status, 'open');
          if (s.step === 'wait') assert.ok(s.until === undefined || s.until > now);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('moves the journal back when a reorg dropped a commit, and commits again with the same salt', () => {
    // The journal said committed; the chain (latest and confirmed) shows a member again.
    assert.deepEqual(nextStep(snap(), 'committed', 10), {
      step: 'record',
      to: 'computed',
      reason: 'reorg: commit dropped',
    });
    assert.deepEqual(nextStep(snap(), 'computed', 10), { step: 'commit' });
    // Before the fix a member whose journal said committed was done: "journal ahead of the chain".
    assert.notEqual(nextStep(snap(), 'committed', 10).step, 'done');
  });

  it('moves the journal back when a reorg dropped reveals, the finalize and the claims, and redoes each', () => {
    const open = snap({ committed: 3, revealed: 0 }, { status: 'committed' });
    assert.deepEqual(nextStep(open, 'claimed', 10), {
      step: 'record',
      to: 'committed',
      reason: 'reorg: reveal, finalize, claim dropped',
    });
    assert.deepEqual(nextStep(open, 'committed', 10), { step: 'reveal' });
    const revealed = snap({ committed: 3, revealed: 3 }, { status: 'revealed' });
    assert.deepEqual(nextStep(revealed, 'finalized', 10), {
      step: 'record',
      to: 'revealed',
      reason: 'reorg: finalize dropped',
    });
    assert.deepEqual(nextStep(revealed, 'revealed', 10), { step: 'finalize' });
    const unclaimed = snap({ status: 'finalized' }, { status: 'revealed', payout: 5n });
    assert.deepEqual(nextStep(unclaimed, 'claimed', 300), {
      step: 'record',
      to: 'finalized',
      reason: 'reorg: claim dropped',
    });
    assert.deepEqual(nextStep(unclaimed, 'finalized', 300), { step: 'claim' });
    // A failed journal (settled without our reveal) whose settlement was dropped reveals after all.
    assert.deepEqual(nextStep(open, 'failed', 10), {
      step: 'record',
      to: 'committed',
      reason: 'reorg: settlement dropped',
    });
  });

  it('records only what the confirmed height shows, and is done only once it shows nothing left', () => {
    const confirmedOpen = snap({ committed: 3, revealed: 3 }, { status: 'revealed' });
    const settledClaimed = snap({ status: 'finalized' }, { status: 'revealed', claimed: true, payout: 5n });
    // Claimed at the latest block, still revealed at the confirmed height: the journal stays, the task waits.
    assert.deepEqual(nextStep(settledClaimed, 'revealed', 300, { confirmed: confirmedOpen }), {
      step: 'wait',
      confirming: true,
    });
    const confirmedUnclaimed = snap({ status: 'finalized' }, { status: 'revealed', payout: 5n });
    assert.deepEqual(nextStep(settledClaimed, 'finalized', 300, { confirmed: confirmedUnclaimed }), {
      step: 'wait',
      confirming: true,
    });
    assert.deepEqual(nextStep(settledClaimed, 'finalized', 300, { confirmed: settledClaimed }), {
      step: 'record',
      to: 'claimed',
      reason: 'claim confirmed',
    });
    assert.deepEqual(nextStep(settledClaimed, 'claimed', 300, { confirmed: settledClaimed }), {
      step: 'done',
      reason: 'task finalized',
    });
    // A commit mined at the latest block keeps a computed result from failing at the deadline: it reveals.
    const committedLate = snap({ committed: 1 }, { status: 'committed' });
    assert.deepEqual(nextStep(committedLate, 'computed', COMMIT, { confirmed: snap() }), { step: 'reveal' });
    // Not in the committee at the latest block, committee not drawn at the confirmed height yet.
    const drawn = snap({}, { status: 'none' });
    const undrawn = snap({ committeeDrawn: false, committeeLength: 0 }, { status: 'none' });
    assert.deepEqual(nextStep(drawn, 'new', 10, { confirmed: undrawn }), { step: 'wait', confirming: true });
  });

  it('a creator finalizes and claims its refund whatever its own participation did', () => {
    const creator = { isMe: true, refundClaimable: false };
    const refund = { isMe: true, refundClaimable: true };
    // Member that never committed, past the commit deadline: finalizes when due.
    const others = snap({ creator, committed: 2, revealed: 1 });
    assert.deepEqual(nextStep(others, 'failed', COMMIT), { step: 'wait', until: REVEAL });
    assert.deepEqual(nextStep(others, 'failed', REVEAL), { step: 'finalize' });
    // Outvoted (journal failed, nothing owed as member): still claims the refund.
    const outvoted = snap({ status: 'finalized', creator: refund }, { status: 'revealed' });
    assert.deepEqual(nextStep(outvoted, 'failed', 300), { step: 'claim' });
    // Paid and claimed as member, refund still open: claims again (before the fix: "journal says claimed").
    const paid = snap(
      { status: 'finalized', creator: refund },
      { status: 'revealed', claimed: true, payout: 5n },
    );
    assert.deepEqual(nextStep(paid, 'claimed', 300), { step: 'claim' });
    // Failed task, never drawn, or not in the committee.
    const failed = snap({ status: 'failed', creator: refund }, { status: 'committed' });
    assert.deepEqual(nextStep(failed, 'failed', 300), { step: 'claim' });
    const undrawn = snap({ committeeDrawn: false, creator }, { status: 'none' });
    assert.deepEqual(nextStep(undrawn, 'new', REVEAL), { step: 'finalize' });
    // Refund claimed at the latest block but not at the confirmed height: wait; then done.
    const refunded = { ...outvoted, creator };
    assert.deepEqual(nextStep(refunded, 'failed', 300, { confirmed: outvoted }), {
      step: 'wait',
      confirming: true,
    });
    assert.deepEqual(nextStep(refunded, 'failed', 300, { confirmed: refunded }), {
      step: 'done',
      reason: 'task finalized',
    });
  });
});

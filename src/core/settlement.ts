import type { Address, Hex } from 'viem';
import { decideMajority, type MajorityFailure } from './majority.ts';
import { assertDistinctParticipants } from './participants.ts';
import { SettlementTooManyCommittersError } from './rewardErrors.ts';
import { assertUint256, escrowFor, reward } from './rewards.ts';

/** The parameters of a task that settlement depends on (see `TaskMarket.createTask`). */
export type SettlementTask = {
  baseReward: bigint;
  growthBps: bigint | number;
  maxParticipants: number;
  quorum: number;
  /** Tokens each committer deposits with its commitment. */
  bond: bigint;
  /** Registry stake taken from each minority revealer, capped at its stake. */
  stakeSlash: bigint;
};

/** A participant that committed, with its stake snapshotted at commit and what it revealed. */
export type SettlementCommitter = {
  participant: Address;
  stake: bigint;
  /** The revealed result digest, or `null` if it never (validly) revealed. */
  revealed: Hex | null;
};

/**
 * What happened to a committer: it revealed the winning digest, revealed
 * another one, never revealed, or revealed in a task without a winner.
 */
export type SettlementOutcome = 'winner' | 'minority' | 'unrevealed' | 'no-winner';

/** The tokens one committer receives or loses. */
export type ParticipantSettlement = {
  participant: Address;
  outcome: SettlementOutcome;
  /** `reward(n)` for a winner, else 0. */
  reward: bigint;
  /** A winner's equal share of the pot, `floor(pot / winners)`, else 0. */
  potShare: bigint;
  /** `reward + potShare`: the tokens paid out on top of the returned bond. */
  payout: bigint;
  /** The bond paid back (winners, and every revealer of a failed task). */
  bondReturned: bigint;
  /** The bond kept: a minority revealer's, or that of a committer that never revealed. */
  bondLost: bigint;
  /** Registry stake taken: `min(stakeSlash, stake)` for a minority revealer, else 0. */
  slashed: bigint;
};

/** The full preview: the decision, every committer's settlement and the creator's refund. */
export type SettlementPreview = {
  /** The winning digest (lower-case), or `null` if the task failed. */
  winner: Hex | null;
  /** Why there is no winner; `null` when there is one. */
  failure: MajorityFailure | null;
  /** Number of valid revealers `n`. */
  revealers: number;
  /** Escrow deposited at creation: `maxParticipants * reward(maxParticipants)`. */
  escrow: bigint;
  /** Bonds deposited: `bond` per committer. */
  bondsIn: bigint;
  /**
   * Bonds lost: with a winner, by minority revealers and committers that never
   * revealed (they go to the pot); without one, by committers that never
   * revealed (they go to the creator).
   */
  bondsLost: bigint;
  /** Registry stake slashed from minority revealers (comes in from the registry). */
  stakeSlashed: bigint;
  /** `bondsLost + stakeSlashed`, split equally among the winners; 0 without a winner. */
  pot: bigint;
  /** `pot mod winners`, which goes to the creator; 0 without a winner. */
  potRemainder: bigint;
  /** Tokens returned to the task creator. */
  refundToCreator: bigint;
  /** One entry per committer, in input order. */
  participants: ParticipantSettlement[];
};

/**
 * Previews how a finalized task settles, exactly as `TaskMarket.finalize`
 * does (the rule is written out in docs/core.md, "Consensus, rewards and
 * aggregation"). The winner is decided here with `decideMajority` over the
 * committers that revealed, so the preview cannot disagree with the vote.
 *
 * With a winner: each winner gets `reward(n)`, its bond back and
 * `floor(pot / winners)`; minority revealers lose their bond and
 * `min(stakeSlash, stake)`; committers that never revealed lose their bond;
 * the creator gets `escrow - winners * reward(n) + pot mod winners`.
 * Without a winner: every revealer gets its bond back, the creator gets the
 * escrow plus the bonds of committers that never revealed, nobody is slashed.
 *
 * Conservation holds exactly for any input:
 * `escrow + bondsIn + stakeSlashed == sum(payout) + sum(bondReturned) + refundToCreator`.
 *
 * Throws `SettlementTooManyCommittersError` when more than
 * `maxParticipants` committed, and the errors of `reward` and `decideMajority`.
 */
export function previewSettlement(
  task: SettlementTask,
  committers: readonly SettlementCommitter[],
): SettlementPreview {
  assertUint256('bond', task.bond);
  assertUint256('stakeSlash', task.stakeSlash);
  const escrow = escrowFor(task.baseReward, task.growthBps, task.maxParticipants);
  if (committers.length > task.maxParticipants) {
    throw new SettlementTooManyCommittersError(committers.length, task.maxParticipants);
  }
  assertDistinctParticipants(committers);
  const reveals = committers.flatMap(({ participant, stake, revealed }) =>
    revealed === null ? [] : [{ participant, stake, digest: revealed }],
  );
  const decision = decideMajority(reveals, task.quorum);
  const bondsIn = task.bond * BigInt(committers.length);
  const base = { revealers: reveals.length, escrow, bondsIn };
  if (decision.winner === null) {
    const participants = committers.map(({ participant, revealed }) =>
      revealed === null
        ? settled(participant, 'unrevealed', { bondLost: task.bond })
        : settled(participant, 'no-winner', { bondReturned: task.bond }),
    );
    const bondsLost = bondsIn - task.bond * BigInt(reveals.length);
    return {
      ...base,
      winner: null,
      failure: decision.reason,
      bondsLost,
      stakeSlashed: 0n,
      pot: 0n,
      potRemainder: 0n,
      refundToCreator: escrow + bondsLost,
      participants,
    };
  }
  const winner = decision.winner;
  const outcomes = committers.map(({ participant, stake, revealed }) => {
    const outcome: SettlementOutcome =
      revealed === null ? 'unrevealed' : revealed.toLowerCase() === winner ? 'winner' : 'minority';
    return { participant, stake, outcome };
  });
  const winners = BigInt(outcomes.filter((c) => c.outcome === 'winner').length);
  let bondsLost = 0n;
  let stakeSlashed = 0n;
  for (const { stake, outcome } of outcomes) {
    if (outcome !== 'winner') bondsLost += task.bond;
    if (outcome === 'minority') stakeSlashed += minBigInt(task.stakeSlash, stake);
  }
  const pot = bondsLost + stakeSlashed;
  const potShare = pot / winners;
  const potRemainder = pot % winners;
  const each = reward(task.baseReward, task.growthBps, reveals.length);
  const participants = outcomes.map(({ participant, stake, outcome }) => {
    if (outcome === 'winner') {
      return settled(participant, outcome, { reward: each, potShare, bondReturned: task.bond });
    }
    const slashed = outcome === 'minority' ? minBigInt(task.stakeSlash, stake) : 0n;
    return settled(participant, outcome, { bondLost: task.bond, slashed });
  });
  return {
    ...base,
    winner,
    failure: null,
    bondsLost,
    stakeSlashed,
    pot,
    potRemainder,
    refundToCreator: escrow - winners * each + potRemainder,
    participants,
  };
}

function settled(
  participant: Address,
  outcome: SettlementOutcome,
  amounts: Partial<Omit<ParticipantSettlement, 'participant' | 'outcome' | 'payout'>>,
): ParticipantSettlement {
  const rewardPaid = amounts.reward ?? 0n;
  const potShare = amounts.potShare ?? 0n;
  return {
    participant,
    outcome,
    reward: rewardPaid,
    potShare,
    payout: rewardPaid + potShare,
    bondReturned: amounts.bondReturned ?? 0n,
    bondLost: amounts.bondLost ?? 0n,
    slashed: amounts.slashed ?? 0n,
  };
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

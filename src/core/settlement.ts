import type { Address, Hex } from 'viem';
import { decideMajority, type MajorityFailure } from './majority.ts';
import { assertDistinctParticipants } from './participants.ts';
import { SettlementTooManyCommittersError } from './rewardErrors.ts';
import { assertUint256, escrowFor, protocolFee, reward } from './rewards.ts';

/** Ownership share units minted per whole token (1e18 base units) of reward paid (`TaskMarket.SHARE_UNITS_PER_TOKEN`). */
export const SHARE_UNITS_PER_TOKEN = 1_000_000n;
const TOKEN = 10n ** 18n;

/** The parameters of a task that settlement depends on (see `TaskMarket.createTask`). */
export type SettlementTask = {
  baseReward: bigint;
  growthBps: bigint | number;
  maxParticipants: number;
  quorum: number;
  /** Tokens each committer deposits with its commitment. */
  bond: bigint;
  /** Registry stake taken from each minority revealer and each committer that never revealed, capped at its stake. */
  stakeSlash: bigint;
  /** The protocol fee on rewards paid, in basis points (TaskMarket's `Limits.feeBps`; default 0). */
  feeBps?: bigint | number;
  /** Whether share units exist before the task mints (no holders: no fee is taken; default true). */
  unitsExist?: boolean;
};

/** A participant that committed, with its stake snapshotted at commit and what it revealed. */
export type SettlementCommitter = {
  participant: Address;
  /** Its voting weight; a slash is also capped at it. */
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
  /** An equal share of what the losers forfeit: a winner's `floor(pot / winners)`, or in a failed task a revealer's `floor(forfeits / revealers)`; else 0. */
  potShare: bigint;
  /** `reward + potShare`: the tokens paid out on top of the returned bond. */
  payout: bigint;
  /** The bond paid back (winners, and every revealer of a failed task). */
  bondReturned: bigint;
  /** The bond kept: a minority revealer's, or that of a committer that never revealed. */
  bondLost: bigint;
  /** Registry stake taken: `min(stakeSlash, stake)` for a minority revealer or a committer that never revealed, else 0. */
  slashed: bigint;
  /** Share units minted to a winner: `floor(reward * SHARE_UNITS_PER_TOKEN / 1e18)`; else 0. */
  units: bigint;
};

/** The full preview: the decision, every committer's settlement and the creator's refund. */
export type SettlementPreview = {
  /** The winning digest (lower-case), or `null` if the task failed. */
  winner: Hex | null;
  /** Why there is no winner; `null` when there is one. */
  failure: MajorityFailure | null;
  /** Number of valid revealers `n`. */
  revealers: number;
  /** Escrow deposited at creation: `maxParticipants * reward(maxParticipants)` plus the fee on it. */
  escrow: bigint;
  /** Bonds deposited: `bond` per committer. */
  bondsIn: bigint;
  /**
   * Bonds lost: with a winner, by minority revealers and committers that never
   * revealed; without one, by committers that never revealed.
   */
  bondsLost: bigint;
  /** Registry stake slashed from the committers that lost their bond (comes in from the registry). */
  stakeSlashed: bigint;
  /**
   * `bondsLost + stakeSlashed`, split equally among the winners, or in a failed
   * task among the revealers (to the creator only when nobody revealed).
   */
  pot: bigint;
  /** `pot mod winners` (or `mod revealers` in a failed task), which goes to the creator. */
  potRemainder: bigint;
  /** The protocol fee paid to the share holders: `floor(winners * reward(n) * feeBps / 10000)`, 0 when no units exist or no winner. */
  fee: bigint;
  /** Tokens returned to the task creator. */
  refundToCreator: bigint;
  /** One entry per committer, in input order. */
  participants: ParticipantSettlement[];
};

/**
 * Previews how a finalized task settles, exactly as `TaskMarket.finalize`
 * does (the rule is written out in docs/ledger.md, "The settlement rule").
 * The winner is decided here with `decideMajority` over the committers that
 * revealed, so the preview cannot disagree with the vote.
 *
 * Every committer that did not reveal the winner (minority revealers, and
 * committers that never revealed) loses its bond and `min(stakeSlash, stake)`:
 * not revealing costs as much as revealing a losing result.
 * With a winner: each winner gets `reward(n)`, its bond back and
 * `floor(pot / winners)`, and `floor(reward(n) * 1e6 / 1e18)` share units; the
 * share holders get the fee; the creator gets
 * `escrow - winners * reward(n) - fee + pot mod winners`.
 * Without a winner: every revealer gets its bond back and
 * `floor(pot / revealers)`; the creator gets the escrow plus `pot mod revealers`
 * (the whole pot if nobody revealed); only non-revealers lose anything.
 *
 * Conservation holds exactly for any input:
 * `escrow + bondsIn + stakeSlashed == sum(payout) + sum(bondReturned) + refundToCreator + fee`.
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
  const feeBps = task.feeBps ?? 0;
  const escrow = escrowFor(task.baseReward, task.growthBps, task.maxParticipants, feeBps);
  if (committers.length > task.maxParticipants) {
    throw new SettlementTooManyCommittersError(committers.length, task.maxParticipants);
  }
  assertDistinctParticipants(committers);
  const reveals = committers.flatMap(({ participant, stake, revealed }) =>
    revealed === null ? [] : [{ participant, stake, digest: revealed }],
  );
  const decision = decideMajority(reveals, task.quorum);
  const winner = decision.winner;
  const outcomes = committers.map(({ participant, stake, revealed }) => {
    const outcome: SettlementOutcome =
      revealed === null
        ? 'unrevealed'
        : winner === null
          ? 'no-winner'
          : revealed.toLowerCase() === winner
            ? 'winner'
            : 'minority';
    const loses = outcome === 'unrevealed' || outcome === 'minority';
    return { participant, outcome, slashed: loses ? minBigInt(task.stakeSlash, stake) : 0n };
  });
  const losers = outcomes.filter((c) => c.outcome === 'unrevealed' || c.outcome === 'minority');
  const bondsIn = task.bond * BigInt(committers.length);
  const bondsLost = task.bond * BigInt(losers.length);
  const stakeSlashed = losers.reduce((sum, c) => sum + c.slashed, 0n);
  const pot = bondsLost + stakeSlashed;
  const lost = (c: (typeof outcomes)[number]) =>
    settled(c.participant, c.outcome, { bondLost: task.bond, slashed: c.slashed });
  const base = { revealers: reveals.length, escrow, bondsIn, bondsLost, stakeSlashed, pot };
  if (winner === null) {
    const sharers = BigInt(reveals.length);
    const potShare = sharers === 0n ? 0n : pot / sharers;
    const potRemainder = sharers === 0n ? pot : pot % sharers;
    return {
      ...base,
      winner: null,
      failure: decision.reason,
      potRemainder,
      fee: 0n,
      refundToCreator: escrow + potRemainder,
      participants: outcomes.map((c) =>
        c.outcome === 'unrevealed'
          ? lost(c)
          : settled(c.participant, c.outcome, { potShare, bondReturned: task.bond }),
      ),
    };
  }
  const winners = BigInt(outcomes.filter((c) => c.outcome === 'winner').length);
  const potShare = pot / winners;
  const potRemainder = pot % winners;
  const each = reward(task.baseReward, task.growthBps, reveals.length);
  const units = (each * SHARE_UNITS_PER_TOKEN) / TOKEN;
  const paid = winners * each;
  const fee = task.unitsExist === false ? 0n : protocolFee(paid, feeBps);
  return {
    ...base,
    winner,
    failure: null,
    potRemainder,
    fee,
    refundToCreator: escrow - paid - fee + potRemainder,
    participants: outcomes.map((c) =>
      c.outcome === 'winner'
        ? settled(c.participant, c.outcome, { reward: each, potShare, bondReturned: task.bond, units })
        : lost(c),
    ),
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
    units: amounts.units ?? 0n,
  };
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

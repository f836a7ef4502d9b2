import { type Address, type Hex, isHex } from 'viem';
import { VoteInvalidDigestError, VoteInvalidQuorumError, VoteInvalidStakeError } from './consensusErrors.ts';
import { compareAddresses, compareBigIntDescending, compareText } from './order.ts';
import { assertDistinctParticipants } from './participants.ts';

/** One valid reveal: who revealed, which result digest, and its stake snapshotted at commit. */
export type Reveal = { participant: Address; digest: Hex; stake: bigint };

/** Why a vote has no winner. */
export type MajorityFailure = 'below-quorum' | 'no-majority';

/** The stake and revealers behind one digest. */
export type TallyEntry = {
  /** The digest, lower-case. */
  digest: Hex;
  /** Sum of the stakes of its revealers. */
  stake: bigint;
  /** Its revealers, sorted by lower-case address. */
  participants: Address[];
};

/** Facts every decision carries, winner or not. */
type DecisionFacts = {
  /** Sum of all revealed stake. */
  totalStake: bigint;
  /** Number of distinct revealers. */
  revealers: number;
  /** One entry per distinct digest, by stake descending, then digest ascending. */
  tally: TallyEntry[];
};

/** The outcome of `decideMajority`: a winning digest, or none with the reason. */
export type MajorityDecision =
  | (DecisionFacts & { winner: Hex })
  | (DecisionFacts & { winner: null; reason: MajorityFailure });

/**
 * Decides a task by stake-weighted strict majority (ARCHITECTURE.md §3, step 5).
 *
 * The winner is the digest whose summed stake `s` satisfies `2s > total`
 * (total = all revealed stake), provided at least `quorum` distinct
 * participants revealed. Exactly half is not a majority. A reveal with zero
 * stake counts toward the quorum but adds no weight, as on chain, where
 * `n` counts every valid reveal. Digests and addresses are compared
 * case-insensitively; digests are returned lower-case. The result does not
 * depend on the order of `reveals`.
 *
 * Throws `VoteDuplicateParticipantError`, `VoteInvalidParticipantError`,
 * `VoteInvalidDigestError`, `VoteInvalidStakeError` or `VoteInvalidQuorumError`.
 */
export function decideMajority(reveals: readonly Reveal[], quorum: number): MajorityDecision {
  if (!Number.isSafeInteger(quorum) || quorum < 1) throw new VoteInvalidQuorumError(quorum);
  assertDistinctParticipants(reveals);
  const byDigest = new Map<Hex, { stake: bigint; participants: Address[] }>();
  let totalStake = 0n;
  for (const { participant, digest, stake } of reveals) {
    if (!isHex(digest, { strict: true }) || digest.length !== 66) throw new VoteInvalidDigestError(digest);
    if (stake < 0n) throw new VoteInvalidStakeError(participant, stake);
    const normalized = digest.toLowerCase() as Hex;
    const entry = byDigest.get(normalized) ?? { stake: 0n, participants: [] };
    entry.stake += stake;
    entry.participants.push(participant);
    byDigest.set(normalized, entry);
    totalStake += stake;
  }
  const tally: TallyEntry[] = [...byDigest].map(([digest, { stake, participants }]) => ({
    digest,
    stake,
    participants: participants.sort(compareAddresses),
  }));
  tally.sort(compareTally);
  const facts: DecisionFacts = { totalStake, revealers: reveals.length, tally };
  if (reveals.length < quorum) return { ...facts, winner: null, reason: 'below-quorum' };
  const leader = tally[0];
  if (leader && 2n * leader.stake > totalStake) return { ...facts, winner: leader.digest };
  return { ...facts, winner: null, reason: 'no-majority' };
}

function compareTally(a: TallyEntry, b: TallyEntry): number {
  return compareBigIntDescending(a.stake, b.stake) || compareText(a.digest, b.digest);
}

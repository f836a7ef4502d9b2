import type { Address, Hex } from 'viem';
import {
  VoteEmptyError,
  VoteInvalidEpsilonError,
  VoteInvalidStakeError,
  VoteLengthMismatchError,
  VoteNonFiniteError,
} from './consensusErrors.ts';
import { tensorDigest } from './digest.ts';
import { compareAddresses, compareBigIntDescending, compareText } from './order.ts';
import { assertDistinctParticipants } from './participants.ts';

/** One participant's vote in tolerant mode: its stake and the f32 vector it computed. */
export type TolerantVote = { participant: Address; stake: bigint; vector: Float32Array };

/** The winning cluster of a tolerant vote. */
export type TolerantDecision = {
  /** The vote whose epsilon-neighbourhood carries the most stake; its vector is the result. */
  representative: TolerantVote;
  /** `tensorDigest` of the representative's vector as a 1-D f32 tensor. */
  digest: Hex;
  /** Every vote within epsilon of the representative (itself included), sorted by lower-case address. */
  members: TolerantVote[];
  /** Sum of the members' stakes. */
  stake: bigint;
  /** Sum of all votes' stakes. */
  totalStake: bigint;
  /** `2 * stake > totalStake`: the cluster holds a strict majority of the stake. */
  hasMajority: boolean;
};

/**
 * Decides a vote among vectors that may differ slightly (heterogeneous
 * hardware), the tolerant mode of distributed inference.
 *
 * Two votes agree when the largest absolute difference between their
 * elements is at most `epsilon` (computed in float64: `|a - b| <= epsilon`).
 * Agreement is not transitive, so clusters are defined around each vote: the
 * neighbourhood of vote `v` is every vote that agrees with `v` (including `v`).
 * The representative is the vote whose neighbourhood has the most stake;
 * ties go to the lowest digest of its vector (`tensorDigest`), then to the
 * lowest lower-case address. The winning cluster is the representative's
 * neighbourhood. Because this is a total order over votes, the result does
 * not depend on the order of `votes`. Whether the cluster is a strict stake
 * majority is reported in `hasMajority`; the caller decides what to do when
 * it is not.
 *
 * Throws `VoteEmptyError`, `VoteInvalidEpsilonError`,
 * `VoteDuplicateParticipantError`, `VoteInvalidParticipantError`,
 * `VoteInvalidStakeError`, `VoteLengthMismatchError` and `VoteNonFiniteError`.
 */
export function decideTolerant(votes: readonly TolerantVote[], epsilon: number): TolerantDecision {
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) throw new VoteInvalidEpsilonError(epsilon);
  assertValidVotes(votes);
  const n = votes.length;
  const agrees = new Uint8Array(n * n);
  let totalStake = 0n;
  for (let i = 0; i < n; i++) {
    totalStake += votes[i]!.stake;
    agrees[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const close = withinEpsilon(votes[i]!.vector, votes[j]!.vector, epsilon) ? 1 : 0;
      agrees[i * n + j] = close;
      agrees[j * n + i] = close;
    }
  }
  const candidates = votes.map((vote, i) => {
    let stake = 0n;
    for (let j = 0; j < n; j++) if (agrees[i * n + j]) stake += votes[j]!.stake;
    const digest = tensorDigest({ dtype: 'f32', shape: [vote.vector.length], data: vote.vector });
    return { index: i, stake, digest, participant: vote.participant };
  });
  candidates.sort(
    (a, b) =>
      compareBigIntDescending(a.stake, b.stake) ||
      compareText(a.digest, b.digest) ||
      compareAddresses(a.participant, b.participant),
  );
  const best = candidates[0]!;
  const members = votes
    .filter((_, j) => agrees[best.index * n + j])
    .sort((a, b) => compareAddresses(a.participant, b.participant));
  return {
    representative: votes[best.index]!,
    digest: best.digest,
    members,
    stake: best.stake,
    totalStake,
    hasMajority: 2n * best.stake > totalStake,
  };
}

/** max_k |a[k] - b[k]| <= epsilon, stopping at the first element that differs by more. */
function withinEpsilon(a: Float32Array, b: Float32Array, epsilon: number): boolean {
  for (let k = 0; k < a.length; k++) {
    if (Math.abs(a[k]! - b[k]!) > epsilon) return false;
  }
  return true;
}

function assertValidVotes(votes: readonly TolerantVote[]): void {
  const first = votes[0];
  if (first === undefined) throw new VoteEmptyError();
  assertDistinctParticipants(votes);
  for (const { participant, stake, vector } of votes) {
    if (stake < 0n) throw new VoteInvalidStakeError(participant, stake);
    if (vector.length !== first.vector.length) {
      throw new VoteLengthMismatchError(participant, vector.length, first.vector.length);
    }
    for (let k = 0; k < vector.length; k++) {
      const v = vector[k]!;
      if (v - v !== 0) throw new VoteNonFiniteError(participant, k);
    }
  }
}

import type { Address, Hex } from 'viem';
import { decideMajority } from '../core/majority.ts';
import { decideTolerant } from '../core/tolerant.ts';

/** How a partial product is decided: exact stake-weighted majority of digests, or the largest cluster within epsilon. */
export type ConsensusMode =
  | { readonly kind: 'exact' }
  | { readonly kind: 'tolerant'; readonly epsilon: number };

/** One host's answer for one shard, at the step it was asked. */
export type Ballot = {
  readonly host: Address;
  readonly step: number;
  readonly digest: Hex;
  readonly rows: Float32Array;
};

/** A decided shard: the agreeing hosts, the result, and whether a later answer agrees with it. */
export type ShardDecision = {
  readonly winners: readonly Address[];
  readonly rows: Float32Array;
  agrees(ballot: Ballot): boolean;
};

/** Distinct participants for comparing two vectors with `decideTolerant`. */
const PAIR: readonly [Address, Address] = [
  '0x0000000000000000000000000000000000000001',
  '0x0000000000000000000000000000000000000002',
];

/**
 * Decides a shard from the answers so far, or returns undefined while it
 * cannot be: exact mode needs `quorum` hosts behind one digest holding a
 * strict majority of the answering stake; tolerant mode a stake-majority
 * cluster within epsilon of at least `quorum` hosts. A decision does not wait
 * for slower replicas: their answers are judged against it when they arrive.
 */
export function decideShard(
  ballots: readonly Ballot[],
  quorum: number,
  mode: ConsensusMode,
  stake: (host: Address) => bigint,
): ShardDecision | undefined {
  if (ballots.length < quorum) return undefined;
  if (mode.kind === 'exact') {
    const decision = decideMajority(
      ballots.map((b) => ({ participant: b.host, digest: b.digest, stake: stake(b.host) })),
      quorum,
    );
    if (decision.winner === null) return undefined;
    const winner = decision.winner;
    const won = ballots.filter((b) => b.digest.toLowerCase() === winner);
    if (won.length < quorum) return undefined; // a majority of the answers so far, not yet of the replicas
    return {
      winners: won.map((b) => b.host),
      rows: won[0]!.rows,
      agrees: (b) => b.digest.toLowerCase() === winner,
    };
  }
  const decision = decideTolerant(
    ballots.map((b) => ({ participant: b.host, stake: stake(b.host), vector: b.rows })),
    mode.epsilon,
  );
  if (!decision.hasMajority || decision.members.length < quorum) return undefined;
  const rows = decision.representative.vector;
  return {
    winners: decision.members.map((m) => m.participant),
    rows,
    // Two placeholder participants: the ballot judged may be the representative's own host's.
    agrees: (b) =>
      decideTolerant(
        [
          { participant: PAIR[0], stake: 1n, vector: rows },
          { participant: PAIR[1], stake: 1n, vector: b.rows },
        ],
        mode.epsilon,
      ).members.length === 2,
  };
}

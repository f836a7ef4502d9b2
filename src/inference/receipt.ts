import type { Address, Hex } from 'viem';
import { votesRoot } from '../chain/inferenceReceipt.ts';
import type { InferenceDomain, SignedStatement } from '../chain/inferenceStatement.ts';

/** What happened to one host during a session. */
export type HostTally = {
  readonly address: Address;
  /** Shard answers that matched the decided result. */
  wins: number;
  /** Shard answers outvoted by the majority. */
  losses: number;
  /** Calls that failed (timeout, refusal, bad signature, broken stream). */
  failures: number;
};

/** The receipt of a session, to be settled on chain (credits debited, winners rewarded, proven liars slashed). */
export type SessionReceipt = {
  readonly session: Hex;
  readonly chainId: number;
  readonly modelDigest: Hex;
  /** Tokens generated. */
  readonly tokens: number;
  /** Per host, sorted by address. */
  readonly hosts: readonly HostTally[];
  /** Number of signed votes under the root. */
  readonly votes: number;
  /** `votesRoot` (src/chain/inferenceReceipt.ts) of every signed vote: the root the settlement contract records. */
  readonly votesRoot: Hex;
};

/** Parameters of {@link receiptOfVotes}. */
export type ReceiptOfVotesParameters = {
  session: Hex;
  domain: InferenceDomain;
  modelDigest: Hex;
  tokens: number;
  tallies: readonly HostTally[];
  /** The session's signed votes (already checked). */
  votes: readonly SignedStatement[];
};

/** A session's receipt: tallies copied and sorted by address, and the Merkle root of the votes. */
export function receiptOfVotes(params: ReceiptOfVotesParameters): SessionReceipt {
  return {
    session: params.session,
    chainId: params.domain.chainId,
    modelDigest: params.modelDigest,
    tokens: params.tokens,
    hosts: params.tallies
      .map((t) => ({ ...t }))
      .sort((a, b) => a.address.toLowerCase().localeCompare(b.address.toLowerCase())),
    votes: params.votes.length,
    votesRoot: votesRoot(params.votes, params.domain),
  };
}

import type { Address, Hex } from 'viem';

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

import { type Address, encodeAbiParameters, type Hex, hashTypedData, keccak256 } from 'viem';
import { merkleRoot } from './merkle.ts';
import { type InferDomain, type PartialProductsStatement, partialProductsTypedData } from './signature.ts';

/** One host's signature over the items it answered since its previous one, kept for the session receipt. */
export type SignedVote = {
  readonly host: Address;
  readonly statement: PartialProductsStatement;
  readonly signature: Hex;
};

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
  /** Merkle root (OpenZeppelin convention) of `voteLeaf` of every signed vote, sorted by step then host. */
  readonly votesRoot: Hex;
};

/**
 * The leaf of one signed vote: keccak256(keccak256(abi.encode(host,
 * eip712Digest, keccak256(signature)))), double-hashed as OpenZeppelin's
 * `MerkleProof` expects, where eip712Digest is the hash the host signed
 * (the same leaf as `statementLeaf` in src/chain/inferenceStatement.ts).
 */
export function voteLeaf(domain: InferDomain, vote: SignedVote): Hex {
  const digest = hashTypedData(partialProductsTypedData(domain, vote.statement));
  const inner = encodeAbiParameters(
    [{ type: 'address' }, { type: 'bytes32' }, { type: 'bytes32' }],
    [vote.host, digest, keccak256(vote.signature)],
  );
  return keccak256(keccak256(inner));
}

const firstStep = (v: SignedVote) => v.statement.items[0]?.step ?? -1;

/** The Merkle root of a session's signed votes (sorted by first step, then host, so it does not depend on arrival order). */
export function votesRoot(domain: InferDomain, votes: readonly SignedVote[]): Hex {
  const ordered = [...votes].sort(
    (a, b) => firstStep(a) - firstStep(b) || a.host.toLowerCase().localeCompare(b.host.toLowerCase()),
  );
  return merkleRoot(ordered.map((v) => voteLeaf(domain, v)));
}

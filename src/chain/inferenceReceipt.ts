import { type Address, encodeAbiParameters, getAddress, type Hex, keccak256 } from 'viem';
import { BaseError } from '../core/errors.ts';
import { type InferenceRequest, sessionIdOf } from './inferenceRequest.ts';
import {
  type ChainItem,
  checkStatement,
  type InferenceDomain,
  matrixId,
  type SignedStatement,
  statementLeaf,
  toChainItem,
} from './inferenceStatement.ts';
import { merkleProof, merkleRoot } from './voteMerkle.ts';

export * from './inferenceRequest.ts';
export * from './inferenceStatement.ts';

/**
 * One host's wins and losses on one matrix row shard over a session
 * (`InferenceSettlement.HostResult`; `matrix` = `matrixId(name)`).
 */
export type HostResult = {
  layer: number;
  matrix: Hex;
  shard: number;
  host: Address;
  wins: number;
  losses: number;
};

/**
 * A gateway's account of a session, as `settleSession` takes it: the request,
 * the tokens generated, the Merkle root of every signed answer, and the
 * per-host results sorted by `(layer, matrix, shard, host)`.
 */
export type InferenceReceipt = {
  request: InferenceRequest;
  tokens: bigint;
  votesRoot: Hex;
  results: HostResult[];
};

/** A signed answer and, per item, whether the gateway's consensus accepted its digest. */
export type TalliedStatement = SignedStatement & { won: readonly boolean[] };

/** Parameters of {@link buildReceipt}. */
export type BuildReceiptParameters = {
  request: InferenceRequest;
  /** Tokens generated (the querier pays `tokens * creditsPerToken`). */
  tokens: bigint;
  /** Every signed answer of the session, with its items' outcomes. */
  statements: readonly TalliedStatement[];
  domain: InferenceDomain;
};

/** A signed answer as the contract takes it in evidence: `index` picks the item in question. */
export type ChainStatement = {
  host: Address;
  items: ChainItem[];
  index: bigint;
  signature: Hex;
};

/** Evidence against a host (`InferenceSettlement.Evidence`). */
export type Evidence = { session: Hex; accused: ChainStatement; majority: ChainStatement[] };

/** Which partial product evidence is about: the product and the input every answer compared was given. */
export type ProductKey = { step: number; layer: number; matrix: string; shard: number; input: Hex };

/** Answers that do not fit together (another session, step or shard, equal digests, outcome count). */
export class InconsistentStatementsError extends BaseError {
  override name = 'InconsistentStatementsError';
}

/** A host's win or loss count does not fit the contract's uint32. */
export class ReceiptCountOverflowError extends BaseError {
  override name = 'ReceiptCountOverflowError';
}

/** The Merkle root over signed answers (leaves: {@link statementLeaf}; tree: voteMerkle.ts). */
export function votesRoot(statements: readonly SignedStatement[], domain: InferenceDomain): Hex {
  return merkleRoot(statements.map((s) => statementLeaf(s, domain)));
}

/** The proof that `target` is among `statements` (for `isStatementRecorded`); undefined if not. */
export function statementProof(
  statements: readonly SignedStatement[],
  target: SignedStatement,
  domain: InferenceDomain,
): Hex[] | undefined {
  return merkleProof(
    statements.map((s) => statementLeaf(s, domain)),
    statementLeaf(target, domain),
  );
}

/**
 * Builds the receipt of a session from its tallied answers: wins and losses
 * per (layer, matrix, shard, host), sorted as the contract requires, and the
 * answers' Merkle root. Every answer must belong to `request`'s session. Wins
 * are counted up to `tokens` per shard and host, the contract's bound (the
 * prompt's forward passes add answers beyond one per generated token; every
 * host of the session is capped alike).
 */
export function buildReceipt(params: BuildReceiptParameters): InferenceReceipt {
  const session = sessionIdOf(params.request).toLowerCase();
  const tallies = new Map<string, HostResult>();
  for (const { host, statement, won } of params.statements) {
    checkStatement(statement);
    if (statement.session.toLowerCase() !== session) {
      throw new InconsistentStatementsError(`An answer of ${host} belongs to session ${statement.session}.`, {
        hint: `Build one receipt per session (${session}), from that session's answers only.`,
      });
    }
    if (won.length !== statement.items.length) {
      throw new InconsistentStatementsError(
        `An answer of ${host} has ${statement.items.length} items but ${won.length} outcomes.`,
        {
          hint: 'Give one won/lost flag per item.',
        },
      );
    }
    const address = getAddress(host);
    statement.items.forEach((item, i) => {
      const matrix = matrixId(item.matrix);
      const key = `${item.layer}/${matrix}/${item.shard}/${address}`;
      let r = tallies.get(key);
      if (r === undefined) {
        r = { layer: item.layer, matrix, shard: item.shard, host: address, wins: 0, losses: 0 };
        tallies.set(key, r);
      }
      if (won[i]) r.wins++;
      else r.losses++;
      if (r.losses > 0xffff_ffff) {
        throw new ReceiptCountOverflowError(
          `Host ${address} has more than 2^32-1 lost answers on one shard.`,
          {
            hint: 'Settle long sessions as several requests.',
          },
        );
      }
    });
  }
  return receiptForTokens(
    {
      request: params.request,
      tokens: params.tokens,
      votesRoot: votesRoot(params.statements, params.domain),
      results: [...tallies.values()].sort(compareResults),
    },
    params.tokens,
  );
}

/**
 * The receipt billing `tokens` (the querier pays `tokens * creditsPerToken`):
 * every host's wins capped at `tokens`, the contract's bound. A gateway bills
 * fewer tokens than it generated when some never reached the client.
 */
export function receiptForTokens(receipt: InferenceReceipt, tokens: bigint): InferenceReceipt {
  const cap = Number(tokens < 0xffff_ffffn ? tokens : 0xffff_ffffn);
  return { ...receipt, tokens, results: receipt.results.map((r) => ({ ...r, wins: Math.min(r.wins, cap) })) };
}

/**
 * Evidence that `accused` answered the partial product `key` (for its input)
 * with a digest the `majority` (other hosts of the shard, answering the same
 * product for the same input with one other digest) contradicts; the majority
 * is sorted by address as the contract requires.
 */
export function equivocationEvidence(
  key: ProductKey,
  accused: SignedStatement,
  majority: readonly SignedStatement[],
): Evidence {
  for (const m of majority) {
    if (m.statement.session !== accused.statement.session) {
      throw new InconsistentStatementsError(`The answers of ${m.host} are of another session.`, {
        hint: 'Majority answers must belong to the session of the accused.',
      });
    }
  }
  const chainAccused = toChainStatement(key, accused);
  const sorted = [...majority]
    .sort((a, b) => compareAddresses(a.host, b.host))
    .map((m) => toChainStatement(key, m));
  const digestOf = (s: ChainStatement) => s.items[Number(s.index)]!.digest;
  const good = sorted[0] && digestOf(sorted[0]);
  if (good === undefined || good === digestOf(chainAccused)) {
    throw new InconsistentStatementsError('No majority answer contradicts the accused.', {
      hint: 'Pass the answers of the hosts whose digest won against the accused.',
    });
  }
  for (const [i, m] of sorted.entries()) {
    if (digestOf(m) !== good || (i > 0 && m.host === sorted[i - 1]!.host)) {
      throw new InconsistentStatementsError('The majority does not agree on one digest, once per host.', {
        hint: 'Pass the answers of distinct hosts that agreed on the winning digest.',
      });
    }
  }
  return { session: accused.statement.session, accused: chainAccused, majority: sorted };
}

/** The Shares token id of a row shard of a model version (equals `InferenceSettlement.shardArtifactId`). */
export function shardArtifactId(modelDigest: Hex, layer: number, matrix: string, shard: number): bigint {
  return BigInt(
    keccak256(
      encodeAbiParameters(
        [{ type: 'string' }, { type: 'bytes32' }, { type: 'int32' }, { type: 'bytes32' }, { type: 'uint32' }],
        ['concord.shard', modelDigest, layer, matrixId(matrix), shard],
      ),
    ),
  );
}

/** A signed answer as the contract takes it, `index` picking the item of `key`. */
export function toChainStatement(key: ProductKey, signed: SignedStatement): ChainStatement {
  checkStatement(signed.statement);
  const index = signed.statement.items.findIndex(
    (it) =>
      it.step === key.step &&
      it.layer === key.layer &&
      it.matrix === key.matrix &&
      it.shard === key.shard &&
      it.input.toLowerCase() === key.input.toLowerCase(),
  );
  if (index < 0) {
    throw new InconsistentStatementsError(
      `The answers of ${signed.host} have no item for step ${key.step}, layer ${key.layer}, ${key.matrix}, shard ${key.shard}, input ${key.input}.`,
      { hint: 'Pass signed answers that include the partial product in question.' },
    );
  }
  return {
    host: getAddress(signed.host),
    items: signed.statement.items.map(toChainItem),
    index: BigInt(index),
    signature: signed.signature,
  };
}

function compareAddresses(a: Address, b: Address): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareResults(a: HostResult, b: HostResult): number {
  if (a.layer !== b.layer) return a.layer - b.layer;
  const m = BigInt(a.matrix) - BigInt(b.matrix);
  if (m !== 0n) return m < 0n ? -1 : 1;
  return a.shard - b.shard || compareAddresses(a.host, b.host);
}

import { type Address, getAddress, type Hex } from 'viem';
import {
  type BuildReceiptParameters,
  buildReceipt,
  type Evidence,
  equivocationEvidence,
  type HostResult,
  type InferenceReceipt,
  matrixId,
  type ProductKey,
  type SignedStatement,
  type TalliedStatement,
} from '../chain/inferenceReceipt.ts';

/**
 * What a gateway settles on chain for a session: the receipt for
 * `settleSession`, and evidence for `slashEquivocation` against each outvoted
 * host that signed a losing digest.
 */
export type SessionSettlement = { receipt: InferenceReceipt; evidence: Evidence[] };

/** Parameters of {@link buildSettlement}: the receipt's, plus stakes and whether outvoted hosts may be accused. */
export type BuildSettlementParameters = BuildReceiptParameters & {
  /** Each host's stake, as the plan weighed it (the contract reads the same registry). */
  stakes: ReadonlyMap<Address, bigint>;
  /** False (tolerant mode, where honest digests may differ) gives no evidence. */
  slashable: boolean;
};

/** The receipt of the tallied statements and, when slashable, the evidence of {@link findEquivocations}. */
export function buildSettlement(params: BuildSettlementParameters): SessionSettlement {
  const receipt = buildReceipt(params);
  const evidence = params.slashable
    ? findEquivocations(params.statements, receipt.results, params.stakes)
    : [];
  return { receipt, evidence };
}

/** One partial product's signed answers, split by outcome. */
type Product = {
  key: ProductKey;
  won: SignedStatement[];
  digests: Set<string>;
  lost: { statement: SignedStatement; digest: string }[];
};

/**
 * One evidence per host that signed a digest its shard's decided answer
 * for the same input contradicts, sorted by the accused's address. For each such host it takes
 * the lost partial product whose winners' stake exceeds half the stake of all
 * the shard's hosts in `results` by the widest margin — what
 * `InferenceSettlement.slashEquivocation` requires (it sums the stake of every
 * host of the shard in the settled results). A host with no such product (its
 * winners too few against the shard's hosts, or the winners not agreeing on one
 * digest) gets none.
 */
export function findEquivocations(
  statements: readonly TalliedStatement[],
  results: readonly HostResult[],
  stakes: ReadonlyMap<Address, bigint>,
): Evidence[] {
  const stakeOf = (host: Address) => stakes.get(getAddress(host)) ?? 0n;
  const shardId = (layer: number, matrix: Hex, shard: number) => `${layer}/${matrix.toLowerCase()}/${shard}`;
  const shardStake = new Map<string, bigint>();
  for (const r of results) {
    const id = shardId(r.layer, r.matrix, r.shard);
    shardStake.set(id, (shardStake.get(id) ?? 0n) + stakeOf(r.host));
  }
  const products = new Map<string, Product>();
  for (const s of statements) {
    s.statement.items.forEach((item, i) => {
      const input = item.input.toLowerCase() as Hex;
      const id = `${item.step}/${item.layer}/${item.matrix}/${item.shard}/${input}`;
      let p = products.get(id);
      if (p === undefined) {
        const key = { step: item.step, layer: item.layer, matrix: item.matrix, shard: item.shard, input };
        p = { key, won: [], digests: new Set(), lost: [] };
        products.set(id, p);
      }
      const digest = item.digest.toLowerCase();
      if (s.won[i]) {
        p.won.push(s);
        p.digests.add(digest);
      } else {
        p.lost.push({ statement: s, digest });
      }
    });
  }
  const best = new Map<Address, { margin: bigint; product: Product; accused: SignedStatement }>();
  for (const p of products.values()) {
    const winners = new Set(p.won.map((w) => getAddress(w.host)));
    if (p.digests.size !== 1 || winners.size !== p.won.length) continue;
    const support = [...winners].reduce((sum, h) => sum + stakeOf(h), 0n);
    const total = shardStake.get(shardId(p.key.layer, matrixId(p.key.matrix), p.key.shard)) ?? 0n;
    const margin = support * 2n - total;
    if (margin <= 0n) continue;
    for (const { statement, digest } of p.lost) {
      const host = getAddress(statement.host);
      if (p.digests.has(digest) || winners.has(host)) continue;
      const current = best.get(host);
      if (current === undefined || margin > current.margin)
        best.set(host, { margin, product: p, accused: statement });
    }
  }
  return [...best]
    .sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1))
    .map(([, b]) => equivocationEvidence(b.product.key, b.accused, b.product.won));
}

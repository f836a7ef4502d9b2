import type { Address, Hex } from 'viem';
import { settleSession } from '../chain/actions/settleSession.ts';
import { slashEquivocation } from '../chain/actions/slashEquivocation.ts';
import type { ConcordContext } from '../chain/context.ts';
import { ChainRevertError } from '../chain/errors.ts';
import { BaseError } from '../core/errors.ts';
import type { SessionSettlement } from './settlement.ts';

/** A host slashed for a session: how much stake it lost, and the transaction. */
export type SlashedHost = { host: Address; amount: bigint; txHash: Hex };

/**
 * Evidence the chain refused (say, the host was slashed already or has no
 * stake left): `error` is the contract error's name (`SettlementAlreadySlashed`)
 * or the error class's, `message` what it said.
 */
export type UnslashedHost = { host: Address; error: string; message: string };

/** What settling a session did on chain. */
export type SettlementOutcome = {
  session: Hex;
  /** Credits debited from the querier. */
  credits: bigint;
  /** The `settleSession` transaction. */
  txHash: Hex;
  slashed: SlashedHost[];
  /** Evidence whose `slashEquivocation` reverted; the settlement stands. */
  unslashed: UnslashedHost[];
};

/**
 * Settles a session as its gateway (`ctx`'s account must be the request's
 * gateway): `settleSession` with the receipt and the querier's signature of
 * the request (the querier's credits are debited, the winners earn shard
 * ownership), then `slashEquivocation` for each evidence, one after the other.
 * A failed settlement throws; a refused slash is reported in `unslashed`.
 */
export async function settleAndSlash(
  ctx: ConcordContext,
  settlement: SessionSettlement,
  querierSignature: Hex,
): Promise<SettlementOutcome> {
  const { receipt, evidence } = settlement;
  const settled = await settleSession(ctx, { receipt, querierSignature });
  const slashed: SlashedHost[] = [];
  const unslashed: UnslashedHost[] = [];
  for (const e of evidence) {
    try {
      const done = await slashEquivocation(ctx, { evidence: e, results: receipt.results });
      slashed.push({ host: e.accused.host, amount: done.slashed, txHash: done.receipt.transactionHash });
    } catch (err) {
      const error =
        err instanceof ChainRevertError ? err.errorName : err instanceof BaseError ? err.name : 'Error';
      const message = err instanceof BaseError ? err.shortMessage : String(err);
      unslashed.push({ host: e.accused.host, error, message });
    }
  }
  return {
    session: settled.session,
    credits: settled.credits,
    txHash: settled.receipt.transactionHash,
    slashed,
    unslashed,
  };
}

import type { Address } from 'viem';
import { balanceOf } from '../chain/actions/balanceOf.ts';
import { getNode } from '../chain/actions/getNode.ts';
import { sharesOf } from '../chain/actions/sharesOf.ts';
import type { ConcordContext } from '../chain/context.ts';

/** What an account holds: tokens, active stake and ownership share units (amounts in wei). */
export type AccountHoldings = { address: Address; balance: bigint; stake: bigint; shares: bigint };

/** Reads the holdings of each account from the chain. */
export async function readHoldings(
  ctx: ConcordContext,
  accounts: readonly Address[],
): Promise<AccountHoldings[]> {
  return await Promise.all(
    accounts.map(async (account) => ({
      address: account,
      balance: await balanceOf(ctx, { account }),
      stake: (await getNode(ctx, { account })).stake,
      shares: await sharesOf(ctx, { account }),
    })),
  );
}

/** Holdings with amounts as decimal strings, for `--json`. */
export function holdingsJson(h: AccountHoldings): Record<string, string> {
  return {
    address: h.address,
    balance: h.balance.toString(),
    stake: h.stake.toString(),
    shares: h.shares.toString(),
  };
}

import type { Address } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link payoutOf}; the signer when `account` is omitted. */
export type PayoutOfParameters = { taskId: bigint; account?: Address };
/** What `claim` would pay now (payout plus, for the creator, the refund); 0 if nothing. */
export type PayoutOfReturnType = bigint;

/** Reads what a settled task still owes an account. */
export async function payoutOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'account'>,
  params: PayoutOfParameters,
): Promise<PayoutOfReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'payoutOf',
    args: [params.taskId, params.account ?? ctx.account.address],
  });
}

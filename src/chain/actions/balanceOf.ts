import type { Address } from 'viem';
import { concordTokenAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link balanceOf}; the signer's own balance when `account` is omitted. */
export type BalanceOfParameters = { account?: Address };
/** The balance in the token's smallest unit (10^-18 CCD). */
export type BalanceOfReturnType = bigint;

/** Reads a CCD balance. */
export async function balanceOf(
  ctx: ConcordContext,
  params: BalanceOfParameters = {},
): Promise<BalanceOfReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'balanceOf',
    args: [params.account ?? ctx.account.address],
  });
}

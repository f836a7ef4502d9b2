import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** TaskMarket's protocol bounds on task parameters and its fee (seconds, multiples of the base reward, basis points). */
export type MarketLimitsReturnType = {
  minCommitWindow: bigint;
  minRevealWindow: bigint;
  maxDuration: bigint;
  maxBondMultiple: number;
  maxSlashMultiple: number;
  feeBps: number;
};

/** Reads TaskMarket's `limits()`, fixed at deployment. */
export async function marketLimits(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<MarketLimitsReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'limits',
  });
}

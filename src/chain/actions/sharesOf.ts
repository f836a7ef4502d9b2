import type { Address } from 'viem';
import { sharesAbi, taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link sharesOf}: whose shares (default the signer), and of which task's artifact. */
export type SharesOfParameters = { account?: Address; taskId?: bigint };
/** Share units of the task's artifact if `taskId` is given, else of all artifacts together. */
export type SharesOfReturnType = bigint;

/** Reads ownership share units. */
export async function sharesOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'account'>,
  params: SharesOfParameters = {},
): Promise<SharesOfReturnType> {
  const account = params.account ?? ctx.account.address;
  if (params.taskId === undefined) {
    return await ctx.publicClient.readContract({
      address: ctx.addresses.shares,
      abi: sharesAbi,
      functionName: 'unitsOf',
      args: [account],
    });
  }
  const artifactId = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'artifactIdOf',
    args: [params.taskId],
  });
  return await ctx.publicClient.readContract({
    address: ctx.addresses.shares,
    abi: sharesAbi,
    functionName: 'balanceOf',
    args: [account, artifactId],
  });
}

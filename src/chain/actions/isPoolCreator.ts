import type { Address } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link isPoolCreator}. */
export type IsPoolCreatorParameters = { owner: Address; account: Address };

/** Whether `account` may add tasks to the pools of `owner` (the owner itself always may). */
export async function isPoolCreator(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: IsPoolCreatorParameters,
): Promise<boolean> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'isPoolCreator',
    args: [params.owner, params.account],
  });
}

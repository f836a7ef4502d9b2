import type { Hex } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link poolTasks}. */
export type PoolTasksParameters = { pool: Hex };
/** The ids of the pool's tasks, in creation order. */
export type PoolTasksReturnType = bigint[];

/** Reads the task ids of a pool (e.g. one training round), in creation order. */
export async function poolTasks(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: PoolTasksParameters,
): Promise<PoolTasksReturnType> {
  const ids = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'poolTasks',
    args: [params.pool],
  });
  return [...ids];
}

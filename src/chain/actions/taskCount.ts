import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** The number of tasks ever created; ids run 1..count. */
export type TaskCountReturnType = bigint;

/** Reads how many tasks TaskMarket has created (the newest task's id). */
export async function taskCount(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<TaskCountReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'taskCount',
  });
}

import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import type { Task } from '../taskTypes.ts';
import { getTask } from './getTask.ts';

/** Parameters of {@link listTasks}: ids `from..` (default 1), at most `limit` (default 100). */
export type ListTasksParameters = { from?: bigint; limit?: number };
/** The tasks in id order, and the total number of tasks. */
export type ListTasksReturnType = { tasks: Task[]; taskCount: bigint };

/** Reads a page of tasks by id. */
export async function listTasks(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: ListTasksParameters = {},
): Promise<ListTasksReturnType> {
  const taskCount = await ctx.publicClient.readContract({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'taskCount',
  });
  const from = params.from ?? 1n;
  const lastOfPage = from + BigInt(params.limit ?? 100) - 1n;
  const to = lastOfPage < taskCount ? lastOfPage : taskCount;
  const ids: bigint[] = [];
  for (let id = from; id <= to; id++) ids.push(id);
  const tasks = await Promise.all(ids.map((taskId) => getTask(ctx, { taskId })));
  return { tasks, taskCount };
}

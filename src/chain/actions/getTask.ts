import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { toRevertError } from '../send.ts';
import { TASK_STATUS, type Task } from '../taskTypes.ts';

/** Parameters of {@link getTask}. */
export type GetTaskParameters = { taskId: bigint; blockNumber?: bigint };
/** The task. */
export type GetTaskReturnType = Task;

/** Reads everything TaskMarket stores about a task (ChainRevertError `TaskNotFound` if none). */
export async function getTask(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: GetTaskParameters,
): Promise<GetTaskReturnType> {
  const t = await ctx.publicClient
    .readContract({
      address: ctx.addresses.taskMarket,
      abi: taskMarketAbi,
      functionName: 'getTask',
      args: [params.taskId],
      ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
    })
    .catch((err: unknown) => {
      throw toRevertError(err, { abi: taskMarketAbi, functionName: 'getTask' }) ?? err;
    });
  return {
    id: params.taskId,
    params: {
      ...t.params,
      commitDeadline: BigInt(t.params.commitDeadline),
      revealDeadline: BigInt(t.params.revealDeadline),
    },
    creator: t.creator,
    createdBlock: BigInt(t.createdBlock),
    status: TASK_STATUS[t.status] ?? 'none',
    committeeDrawn: t.committeeDrawn,
    creatorClaimed: t.creatorClaimed,
    committeeLength: t.committeeLength,
    committed: t.committed,
    revealed: t.revealed,
    winners: t.winners,
    winner: t.winner,
    escrow: t.escrow,
    reward: t.reward,
    pot: t.pot,
    creatorRefund: t.creatorRefund,
  };
}

import { parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { type TaskParams, taskEscrow, toTaskParamsStruct } from '../taskTypes.ts';
import { ensureAllowance } from './ensureAllowance.ts';
import { marketLimits } from './marketLimits.ts';

/** Parameters of {@link createTasks}: the tasks, in order. */
export type CreateTasksParameters = TxOptions & { tasks: readonly TaskParams[] };
/** The new ids (consecutive, in the order given) and the receipt. */
export type CreateTasksReturnType = { taskIds: bigint[]; escrow: bigint; receipt: TransactionReceipt };

/** Creates several tasks in one transaction with one token transfer for all escrows. */
export async function createTasks(
  ctx: ConcordContext,
  params: CreateTasksParameters,
): Promise<CreateTasksReturnType> {
  const { feeBps } = await marketLimits(ctx);
  const escrow = params.tasks.reduce((sum, t) => sum + taskEscrow(t, feeBps), 0n);
  await ensureAllowance(ctx, { spender: ctx.addresses.taskMarket, amount: escrow });
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'createTasks',
    args: [params.tasks.map(toTaskParamsStruct)],
    ...txOptions(params),
  });
  const created = parseEventLogs({ abi: taskMarketAbi, logs: receipt.logs, eventName: 'TaskCreated' });
  return { taskIds: created.map((e) => e.args.taskId), escrow, receipt };
}

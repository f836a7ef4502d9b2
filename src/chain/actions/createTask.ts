import { parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';
import { type TaskParams, taskEscrow, toTaskParamsStruct } from '../taskTypes.ts';
import { ensureAllowance } from './ensureAllowance.ts';
import { marketLimits } from './marketLimits.ts';

/** Parameters of {@link createTask}. */
export type CreateTaskParameters = TaskParams;
/** The new task's id and the receipt. */
export type CreateTaskReturnType = { taskId: bigint; escrow: bigint; receipt: TransactionReceipt };

/** Creates a task, escrowing `TaskMarket.escrowOf` (rewards of all participants plus the protocol fee; approving exactly that if needed). */
export async function createTask(
  ctx: ConcordContext,
  params: CreateTaskParameters,
): Promise<CreateTaskReturnType> {
  const { feeBps } = await marketLimits(ctx);
  await ensureAllowance(ctx, { spender: ctx.addresses.taskMarket, amount: taskEscrow(params, feeBps) });
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'createTask',
    args: [toTaskParamsStruct(params)],
  });
  const [created] = parseEventLogs({ abi: taskMarketAbi, logs: receipt.logs, eventName: 'TaskCreated' });
  // The contract emits TaskCreated in every successful createTask.
  return { taskId: created!.args.taskId, escrow: created!.args.escrow, receipt };
}

import type { TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { type TaskOutcome, taskOutcomes } from '../taskOutcome.ts';

/** Parameters of {@link finalize}. */
export type FinalizeParameters = TxOptions & { taskId: bigint };
/** How the task settled, and the receipt. */
export type FinalizeReturnType = { outcome: TaskOutcome; receipt: TransactionReceipt };

/**
 * Settles a task by stake-weighted strict majority (anyone may call it once
 * the reveal deadline passed or every committer revealed).
 */
export async function finalize(ctx: ConcordContext, params: FinalizeParameters): Promise<FinalizeReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'finalize',
    args: [params.taskId],
    ...txOptions(params),
  });
  // finalize emits exactly one TaskFinalized or TaskFailed.
  return { outcome: taskOutcomes(receipt)[0]!, receipt };
}

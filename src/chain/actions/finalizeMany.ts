import type { TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { type TaskOutcome, taskOutcomes } from '../taskOutcome.ts';

/** Parameters of {@link finalizeMany}. */
export type FinalizeManyParameters = TxOptions & { taskIds: readonly bigint[] };
/** How each task settled (in the order given), and the receipt. */
export type FinalizeManyReturnType = { outcomes: TaskOutcome[]; receipt: TransactionReceipt };

/** Settles several tasks in one transaction. */
export async function finalizeMany(
  ctx: ConcordContext,
  params: FinalizeManyParameters,
): Promise<FinalizeManyReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'finalizeMany',
    args: [params.taskIds],
    ...txOptions(params),
  });
  return { outcomes: taskOutcomes(receipt), receipt };
}

import { parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link claimMany}. */
export type ClaimManyParameters = TxOptions & { taskIds: readonly bigint[] };
/** The total paid, the amount per task, and the receipt. */
export type ClaimManyReturnType = {
  total: bigint;
  amounts: { taskId: bigint; amount: bigint }[];
  receipt: TransactionReceipt;
};

/** Collects from several settled tasks with one token transfer. Every task must owe the signer something. */
export async function claimMany(
  ctx: ConcordContext,
  params: ClaimManyParameters,
): Promise<ClaimManyReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'claimMany',
    args: [params.taskIds],
    ...txOptions(params),
  });
  const amounts = parseEventLogs({ abi: taskMarketAbi, logs: receipt.logs, eventName: 'Claimed' }).map(
    (e) => ({
      taskId: e.args.taskId,
      amount: e.args.amount,
    }),
  );
  return { total: amounts.reduce((s, a) => s + a.amount, 0n), amounts, receipt };
}

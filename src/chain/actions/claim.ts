import { parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link claim}. */
export type ClaimParameters = TxOptions & { taskId: bigint };
/** The amount paid and the receipt. */
export type ClaimReturnType = { amount: bigint; receipt: TransactionReceipt };

/** Collects what a settled task owes the signer (payout, returned bond, pot share, creator refund). */
export async function claim(ctx: ConcordContext, params: ClaimParameters): Promise<ClaimReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'claim',
    args: [params.taskId],
    ...txOptions(params),
  });
  const [claimed] = parseEventLogs({ abi: taskMarketAbi, logs: receipt.logs, eventName: 'Claimed' });
  // A successful claim always emits Claimed.
  return { amount: claimed!.args.amount, receipt };
}

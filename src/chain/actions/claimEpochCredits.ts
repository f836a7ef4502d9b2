import { parseEventLogs, type TransactionReceipt } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link claimEpochCredits}. */
export type ClaimEpochCreditsParameters = TxOptions;
/** The epoch and credits granted, and the receipt. */
export type ClaimEpochCreditsReturnType = { epoch: bigint; credits: bigint; receipt: TransactionReceipt };

/** Claims the signer's credits for the current epoch, in proportion to its share units at the epoch's start. */
export async function claimEpochCredits(
  ctx: ConcordContext,
  params: ClaimEpochCreditsParameters = {},
): Promise<ClaimEpochCreditsReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'claimEpochCredits',
    ...txOptions(params),
  });
  const [claimed] = parseEventLogs({
    abi: accessCreditsAbi,
    logs: receipt.logs,
    eventName: 'EpochCreditsClaimed',
  });
  // claimEpochCredits always emits EpochCreditsClaimed.
  return { epoch: claimed!.args.epoch, credits: claimed!.args.credits, receipt };
}

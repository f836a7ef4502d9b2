import type { Address, TransactionReceipt } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link depositCredits}: the gateway the credits are locked for, and how many. */
export type DepositCreditsParameters = TxOptions & { gateway: Address; credits: bigint };

/**
 * Locks the signer's credits for `gateway` (AccessCredits `deposit`), which
 * it must do before a gateway serves its requests; the deposit comes back
 * only `withdrawalDelay` seconds after `requestWithdrawal`.
 */
export async function depositCredits(
  ctx: ConcordContext,
  params: DepositCreditsParameters,
): Promise<TransactionReceipt> {
  return await sendContract(ctx, {
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'deposit',
    args: [params.gateway, params.credits],
    ...txOptions(params),
  });
}

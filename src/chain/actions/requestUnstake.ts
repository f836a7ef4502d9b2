import type { TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link requestUnstake}. */
export type RequestUnstakeParameters = { amount: bigint };
/** The receipt. */
export type RequestUnstakeReturnType = TransactionReceipt;

/**
 * Moves `amount` of the signer's active stake to pending; it stops voting at
 * once and can be withdrawn after the registry's `unstakeDelay`.
 */
export async function requestUnstake(
  ctx: ConcordContext,
  params: RequestUnstakeParameters,
): Promise<RequestUnstakeReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'requestUnstake',
    args: [params.amount],
  });
}

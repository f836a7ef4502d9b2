import type { TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** The receipt. */
export type WithdrawStakeReturnType = TransactionReceipt;

/** Withdraws all of the signer's pending stake once its unstake delay has passed. */
export async function withdrawStake(ctx: ConcordContext): Promise<WithdrawStakeReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'withdraw',
  });
}

import type { TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';
import { ensureAllowance } from './ensureAllowance.ts';

/** Parameters of {@link stake}. */
export type StakeParameters = { amount: bigint };
/** The receipt. */
export type StakeReturnType = TransactionReceipt;

/** Adds `amount` CCD to the signer's active stake (approving the registry if needed). */
export async function stake(ctx: ConcordContext, params: StakeParameters): Promise<StakeReturnType> {
  await ensureAllowance(ctx, { spender: ctx.addresses.registry, amount: params.amount });
  return await sendContract(ctx, {
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'stake',
    args: [params.amount],
  });
}

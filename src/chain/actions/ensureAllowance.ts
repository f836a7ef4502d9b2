import type { Address, TransactionReceipt } from 'viem';
import { concordTokenAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link ensureAllowance}. */
export type EnsureAllowanceParameters = {
  /** The contract that will pull tokens (registry, task market, credits). */
  spender: Address;
  /** The amount it must be able to pull now. */
  amount: bigint;
};

/** The approval receipt, or undefined if the allowance already sufficed. */
export type EnsureAllowanceReturnType = TransactionReceipt | undefined;

/**
 * Makes sure `spender` may pull `amount` CCD from the signer. When it may not,
 * approves exactly `amount` (never more: a node's tokens are exposed to a
 * contract only for the deposit at hand, such as a task bond).
 */
export async function ensureAllowance(
  ctx: ConcordContext,
  params: EnsureAllowanceParameters,
): Promise<EnsureAllowanceReturnType> {
  const allowance = await ctx.publicClient.readContract({
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'allowance',
    args: [ctx.account.address, params.spender],
  });
  if (allowance >= params.amount) return undefined;
  return await sendContract(ctx, {
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'approve',
    args: [params.spender, params.amount],
  });
}

import type { Address, TransactionReceipt } from 'viem';
import { concordTokenAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link approve}. */
export type ApproveParameters = { spender: Address; amount: bigint };
/** The approval's receipt. */
export type ApproveReturnType = TransactionReceipt;

/** Sets the signer's CCD allowance for `spender` to exactly `amount`. */
export async function approve(ctx: ConcordContext, params: ApproveParameters): Promise<ApproveReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'approve',
    args: [params.spender, params.amount],
  });
}

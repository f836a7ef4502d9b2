import type { Address, TransactionReceipt } from 'viem';
import { concordTokenAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link transfer}. */
export type TransferParameters = { to: Address; amount: bigint };
/** The transfer's receipt. */
export type TransferReturnType = TransactionReceipt;

/** Sends `amount` CCD from the signer to `to` (funding nodes on a dev chain). */
export async function transfer(ctx: ConcordContext, params: TransferParameters): Promise<TransferReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.token,
    abi: concordTokenAbi,
    functionName: 'transfer',
    args: [params.to, params.amount],
  });
}

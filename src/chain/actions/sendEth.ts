import type { Address, TransactionReceipt } from 'viem';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link sendEth}. */
export type SendEthParameters = { to: Address; amount: bigint };

/** Sends `amount` wei of the chain's native currency from the signer to `to` and waits for the receipt. */
export async function sendEth(
  ctx: Pick<ConcordContext, 'walletClient' | 'publicClient' | 'account' | 'chain'>,
  params: SendEthParameters,
): Promise<TransactionReceipt> {
  const hash = await ctx.walletClient.sendTransaction({
    account: ctx.account,
    chain: ctx.chain,
    to: params.to,
    value: params.amount,
  });
  return await ctx.publicClient.waitForTransactionReceipt({ hash });
}

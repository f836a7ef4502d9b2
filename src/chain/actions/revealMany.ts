import type { Hex, TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link revealMany}. */
export type RevealManyParameters = TxOptions & {
  reveals: readonly { taskId: bigint; resultDigest: Hex; salt: Hex }[];
};
/** The receipt. */
export type RevealManyReturnType = TransactionReceipt;

/** Opens the signer's commitments in several tasks in one transaction. */
export async function revealMany(
  ctx: ConcordContext,
  params: RevealManyParameters,
): Promise<RevealManyReturnType> {
  const r = params.reveals;
  return await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'revealMany',
    args: [r.map((x) => x.taskId), r.map((x) => x.resultDigest), r.map((x) => x.salt)],
    ...txOptions(params),
  });
}

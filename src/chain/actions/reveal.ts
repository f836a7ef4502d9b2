import type { Hex, TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link reveal}: the digest and salt the commitment was made with. */
export type RevealParameters = TxOptions & { taskId: bigint; resultDigest: Hex; salt: Hex };
/** The receipt. */
export type RevealReturnType = TransactionReceipt;

/** Opens the signer's commitment in a task. */
export async function reveal(ctx: ConcordContext, params: RevealParameters): Promise<RevealReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'reveal',
    args: [params.taskId, params.resultDigest, params.salt],
    ...txOptions(params),
  });
}

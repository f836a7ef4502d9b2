import type { Address, TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link setPoolCreator}. */
export type SetPoolCreatorParameters = { account: Address; allowed: boolean };
/** The receipt. */
export type SetPoolCreatorReturnType = TransactionReceipt;

/**
 * Allows (or disallows) `account` to add tasks, aggregate tasks included, to
 * every pool of the signer (pool ids from `poolId(signer, label)`).
 */
export async function setPoolCreator(
  ctx: ConcordContext,
  params: SetPoolCreatorParameters,
): Promise<SetPoolCreatorReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'setPoolCreator',
    args: [params.account, params.allowed],
  });
}

import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link drawCommittee}. */
export type DrawCommitteeParameters = TxOptions & { taskId: bigint };
/** The drawn members in draw order, the seed, and the receipt. */
export type DrawCommitteeReturnType = { members: Address[]; seed: Hex; receipt: TransactionReceipt };

/**
 * Draws a task's committee from chain randomness (stake-weighted). Optional:
 * the first `commit` draws it too. Needs at least one block after creation.
 */
export async function drawCommittee(
  ctx: ConcordContext,
  params: DrawCommitteeParameters,
): Promise<DrawCommitteeReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'drawCommittee',
    args: [params.taskId],
    ...txOptions(params),
  });
  const [drawn] = parseEventLogs({ abi: taskMarketAbi, logs: receipt.logs, eventName: 'CommitteeDrawn' });
  // drawCommittee always emits CommitteeDrawn when it succeeds.
  return { members: [...drawn!.args.members], seed: drawn!.args.seed, receipt };
}

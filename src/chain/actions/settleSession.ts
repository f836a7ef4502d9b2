import { type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { inferenceSettlementAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import type { InferenceReceipt } from '../inferenceReceipt.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link settleSession}: the receipt (from `buildReceipt`) and the querier's request signature. */
export type SettleSessionParameters = TxOptions & { receipt: InferenceReceipt; querierSignature: Hex };
/** The session id, the credits debited from the querier, and the transaction receipt. */
export type SettleSessionReturnType = { session: Hex; credits: bigint; receipt: TransactionReceipt };

/**
 * Settles an inference session as its gateway (the signer must be
 * `receipt.request.gateway`): debits the querier's credits, mints the hosts'
 * shard ownership, records the votes' Merkle root.
 */
export async function settleSession(
  ctx: ConcordContext,
  params: SettleSessionParameters,
): Promise<SettleSessionReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.inferenceSettlement,
    abi: inferenceSettlementAbi,
    functionName: 'settleSession',
    args: [params.receipt, params.querierSignature],
    ...txOptions(params),
  });
  const [settled] = parseEventLogs({
    abi: inferenceSettlementAbi,
    logs: receipt.logs,
    eventName: 'SessionSettled',
  });
  // settleSession always emits SessionSettled.
  return { session: settled!.args.session, credits: settled!.args.credits, receipt };
}

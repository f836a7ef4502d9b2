import { parseEventLogs, type TransactionReceipt } from 'viem';
import { inferenceSettlementAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import type { Evidence, HostResult } from '../inferenceReceipt.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/**
 * Parameters of {@link slashEquivocation}: the evidence (from
 * `equivocationEvidence`) and the settled receipt's `results`, exactly.
 */
export type SlashEquivocationParameters = TxOptions & { evidence: Evidence; results: readonly HostResult[] };
/** The stake taken from the accused and the transaction receipt. */
export type SlashEquivocationReturnType = { slashed: bigint; receipt: TransactionReceipt };

/**
 * Slashes a host whose signed digest a strict stake-majority of its shard
 * contradicts for the same input; the slashed stake stays locked in
 * InferenceSettlement (neither the reporter nor the majority is paid).
 */
export async function slashEquivocation(
  ctx: ConcordContext,
  params: SlashEquivocationParameters,
): Promise<SlashEquivocationReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.inferenceSettlement,
    abi: inferenceSettlementAbi,
    functionName: 'slashEquivocation',
    args: [params.evidence, params.results],
    ...txOptions(params),
  });
  const [slashed] = parseEventLogs({
    abi: inferenceSettlementAbi,
    logs: receipt.logs,
    eventName: 'EquivocationSlashed',
  });
  // slashEquivocation always emits EquivocationSlashed.
  return { slashed: slashed!.args.amount, receipt };
}

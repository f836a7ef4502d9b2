import { type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link publishVersion}. */
export type PublishVersionParameters = TxOptions & { modelId: bigint; aggregateTaskId: bigint };
/** The new version's index and digest, and the receipt. */
export type PublishVersionReturnType = { index: bigint; digest: Hex; receipt: TransactionReceipt };

/**
 * Publishes the winner of a finalized aggregate task as the model's next
 * version (only if its inputs are exactly its round's winners).
 */
export async function publishVersion(
  ctx: ConcordContext,
  params: PublishVersionParameters,
): Promise<PublishVersionReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'publishVersion',
    args: [params.modelId, params.aggregateTaskId],
    ...txOptions(params),
  });
  const [published] = parseEventLogs({
    abi: modelRegistryAbi,
    logs: receipt.logs,
    eventName: 'VersionPublished',
  });
  // publishVersion always emits VersionPublished.
  return { index: published!.args.index, digest: published!.args.digest, receipt };
}

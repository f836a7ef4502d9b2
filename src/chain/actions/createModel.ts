import { type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { modelRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';

/** Parameters of {@link createModel}. */
export type CreateModelParameters = TxOptions & { name: string; genesisDigest: Hex };
/** The new model's id and the receipt. */
export type CreateModelReturnType = { modelId: bigint; receipt: TransactionReceipt };

/** Registers a model with its genesis (version 0) manifest digest; the signer becomes its owner. */
export async function createModel(
  ctx: ConcordContext,
  params: CreateModelParameters,
): Promise<CreateModelReturnType> {
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'createModel',
    args: [params.name, params.genesisDigest],
    ...txOptions(params),
  });
  const [created] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelCreated' });
  // createModel always emits ModelCreated.
  return { modelId: created!.args.modelId, receipt };
}

import type { Hex } from 'viem';
import { createModel } from '../chain/actions/createModel.ts';
import type { ConcordContext } from '../chain/context.ts';
import type { NodeClient } from './nodeClient.ts';

/** A model registered by {@link registerModel}. */
export type RegisteredModel = { modelId: bigint; genesisDigest: Hex; txHash: Hex };

/**
 * Puts a model on the network: `node` stores the checkpoint as a model
 * (it serves its pieces to the other nodes) and answers its model digest,
 * and `owner` creates the model in ModelRegistry with that digest as
 * version 0. Nodes serve the newest model, so they load it next.
 */
export async function registerModel(
  owner: ConcordContext,
  node: NodeClient,
  checkpoint: Uint8Array,
  name: string,
): Promise<RegisteredModel> {
  const genesisDigest = (await node.putModel(checkpoint)) as Hex;
  const { modelId, receipt } = await createModel(owner, { name, genesisDigest });
  return { modelId, genesisDigest, txHash: receipt.transactionHash };
}

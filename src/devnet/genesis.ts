import { readFileSync } from 'node:fs';
import { type Hex, isAddressEqual } from 'viem';
import { getModel } from '../chain/actions/getModel.ts';
import { modelCount } from '../chain/actions/modelCount.ts';
import type { ConcordContext } from '../chain/context.ts';
import type { NodeClient } from '../client/nodeClient.ts';
import { registerModel } from '../client/registerModel.ts';
import type { Tokenizer } from '../model/index.ts';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { readCheckpoint } from '../tasks/checkpoint.ts';
import { tokenizerFromMetadata } from '../tasks/tokenizerMetadata.ts';

/** The registry name of the network's own model, as the devnet registers it. */
export const SHIPPED_MODEL_NAME = 'concord-char';

/** The tokenizer in the shipped checkpoint's metadata (every version of the model keeps it). */
export function shippedTokenizer(): Tokenizer {
  const { params, metadata } = readCheckpoint(readFileSync(SHIPPED_CHECKPOINT));
  return tokenizerFromMetadata(metadata, params.config.vocabSize);
}

/** The devnet's model in ModelRegistry, and whether this call registered it. */
export type GenesisModel = { modelId: bigint; created: boolean; genesisDigest?: Hex };

/**
 * The model `name` owned by `owner`, registering it on first use: node 0
 * stores the shipped checkpoint as a model (it serves it to the network) and
 * the owner creates the model with its model digest as version 0. A later run
 * (a resumed devnet) finds it by name and owner and reuses it.
 */
export async function ensureGenesisModel(
  owner: ConcordContext,
  node: NodeClient,
  name = SHIPPED_MODEL_NAME,
): Promise<GenesisModel> {
  const count = await modelCount(owner);
  for (let id = count; id >= 1n; id--) {
    const model = await getModel(owner, { modelId: id });
    if (model.name === name && isAddressEqual(model.owner, owner.account.address)) {
      return { modelId: id, created: false };
    }
  }
  const { modelId, genesisDigest } = await registerModel(owner, node, readFileSync(SHIPPED_CHECKPOINT), name);
  return { modelId, created: true, genesisDigest };
}

import type { Address } from 'viem';
import { type ActiveNode, activeNodes } from '../../chain/actions/activeNodes.ts';
import { getModel } from '../../chain/actions/getModel.ts';
import { latestVersion, type ModelVersion } from '../../chain/actions/latestVersion.ts';
import { modelCount } from '../../chain/actions/modelCount.ts';
import type { ConcordContext } from '../../chain/context.ts';

/** A registered model with its newest version. */
export type RegistryModel = {
  modelId: bigint;
  name: string;
  owner: Address;
  version: ModelVersion;
};

/** What model serving reads from the chain each round. */
export type RegistryState = {
  /** Every model with its latest version, newest model (highest id) first. */
  models: RegistryModel[];
  /** The active nodes with their stakes and memory caps, in registration order. */
  nodes: ActiveNode[];
};

/** Reads every model's latest version and the active nodes. */
export async function readRegistryState(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<RegistryState> {
  const count = await modelCount(ctx);
  const ids = Array.from({ length: Number(count) }, (_, i) => count - BigInt(i));
  const [models, nodes] = await Promise.all([
    Promise.all(
      ids.map(async (modelId) => {
        const [model, version] = await Promise.all([
          getModel(ctx, { modelId }),
          latestVersion(ctx, { modelId }),
        ]);
        return { modelId, ...model, version };
      }),
    ),
    activeNodes(ctx),
  ]);
  return { models, nodes };
}

/** A key that changes whenever the active node set, a stake or a memory cap changes (a replan is due). */
export function nodeSetKey(nodes: readonly ActiveNode[]): string {
  return nodes.map((n) => `${n.account.toLowerCase()}:${n.stake}:${n.modelMemory}`).join(',');
}

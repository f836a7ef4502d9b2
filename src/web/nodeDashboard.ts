import type { Hex } from 'viem';
import { activeNodes } from '../chain/actions/activeNodes.ts';
import { creditsOf } from '../chain/actions/creditsOf.ts';
import type { ConcordContext } from '../chain/context.ts';
import { readHoldings } from '../client/holdings.ts';
import type { ApiDeps } from '../node/api/types.ts';
import { createHeldOutLossMeter, type HeldOutLossOptions } from './heldOutLoss.ts';
import { createModelVersionsReader } from './modelVersions.ts';
import type { DashboardDeps } from './snapshot.ts';

/** The part of a node's blob store the dashboard reads checkpoints from. */
export type CheckpointBlobs = { hasBlob(digest: Hex): boolean; getBlob(digest: Hex): Uint8Array };

/**
 * Everything the dashboard reads on a running node: the API's reads, and from
 * the chain the holdings and credits of the accounts shown, the active nodes
 * and the registry's models. With the node's blob store, each version whose
 * checkpoint the node holds also gets its held-out loss.
 */
export function nodeDashboardDeps(
  api: Pick<ApiDeps, 'health' | 'peers' | 'listTasks'>,
  ctx: ConcordContext,
  blobs?: CheckpointBlobs,
  lossOptions?: HeldOutLossOptions,
): DashboardDeps {
  const readModels = createModelVersionsReader(ctx);
  const loss = createHeldOutLossMeter(
    (digest) => (blobs?.hasBlob(digest) ? blobs.getBlob(digest) : null),
    lossOptions,
  );
  return {
    health: api.health,
    peers: api.peers,
    listTasks: api.listTasks,
    holdings: (accounts) => readHoldings(ctx, accounts),
    credits: (accounts) => Promise.all(accounts.map((account) => creditsOf(ctx, { account }))),
    activeNodes: async () => (await activeNodes(ctx)).map((n) => n.account),
    models: async () =>
      (await readModels()).map((m) => ({
        modelId: m.modelId.toString(),
        name: m.name,
        owner: m.owner,
        versions: m.versions.map((v) => ({
          index: v.index.toString(),
          digest: v.digest,
          taskId: v.taskId.toString(),
          heldOut: blobs
            ? loss(v.digest)
            : { state: 'unavailable' as const, reason: 'the dashboard was mounted without the blob store' },
        })),
      })),
  };
}

import { type Address, type Hex, isAddressEqual } from 'viem';
import { committeeOf } from '../chain/actions/committeeOf.ts';
import { getTask } from '../chain/actions/getTask.ts';
import { isPoolCreator } from '../chain/actions/isPoolCreator.ts';
import { poolTasks } from '../chain/actions/poolTasks.ts';
import { poolWinners } from '../chain/actions/poolWinners.ts';
import { sharesOf } from '../chain/actions/sharesOf.ts';
import type { ConcordContext } from '../chain/context.ts';
import { poolOwnerOf } from '../chain/poolId.ts';
import type { BlobAuthorizationQuery } from '../p2p/blobServer.ts';
import type { BlobStore } from '../store/blobStore.ts';
import type { TaskKindRegistry } from '../tasks/registry.ts';
import { decodeTaskSpec } from '../tasks/spec.ts';
import type { HostFetchQuery } from './inference/modelService.ts';
import { parseHostContext } from './inference/versionCheckpoint.ts';

/**
 * Who may fetch which blob from this node, decided from the chain:
 * - purpose `task`, context the task id (decimal): members of that task's
 *   committee may fetch its spec blob and the input blobs the spec names;
 * - purpose `pool`, context the pool id (hex): holders of ownership shares
 *   of a task in the pool may fetch the pool's winning results (the exchange),
 *   and so may the pool's owner and the accounts it allows to add tasks to it
 *   (they paid for the tasks and create the aggregate that combines them);
 * - purpose `host`, context `<modelId>:<versionIndex>`: the hosts and standbys
 *   of that model version's shard plan may fetch the pieces of their shards,
 *   any active node the base and vocabulary pieces, a planned host the whole
 *   checkpoint (`mayHost`, the node's model service, recomputes the plan from
 *   the chain).
 * Anything else, or any read failure, is refused.
 */
export type BlobAccessDeps = {
  ctx: ConcordContext;
  blobs: BlobStore;
  kinds: TaskKindRegistry;
  /** Whether a `host` request may have the checkpoint; without it every `host` request is refused. */
  mayHost?: (query: HostFetchQuery) => Promise<boolean>;
};

type LeafRange = { start: number; end: number };

const TASK_CONTEXT = /^[1-9][0-9]{0,77}$/;
const POOL_CONTEXT = /^0x[0-9a-fA-F]{64}$/;

/**
 * The injected rights check of this node's blob and pieces servers (a pieces
 * query carries its leaf range, which `mayHost` judges).
 */
export function createBlobAuthorizer(
  deps: BlobAccessDeps,
): (query: BlobAuthorizationQuery & Partial<LeafRange>) => Promise<boolean> {
  return async (query) => {
    try {
      if (query.purpose === 'task' && TASK_CONTEXT.test(query.context)) {
        return await mayFetchTaskBlob(deps, BigInt(query.context), query);
      }
      if (query.purpose === 'pool' && POOL_CONTEXT.test(query.context)) {
        return await mayFetchPoolResult(deps, query.context as Hex, query);
      }
      const version = query.purpose === 'host' ? parseHostContext(query.context) : undefined;
      if (version !== undefined && deps.mayHost !== undefined) {
        const { start, end } = query;
        const leaves = start === undefined || end === undefined ? {} : { leaves: [start, end] as const };
        return await deps.mayHost({
          ...version,
          digest: query.digest,
          requester: query.requester,
          ...leaves,
        });
      }
      return false;
    } catch {
      return false;
    }
  };
}

async function mayFetchTaskBlob(
  deps: BlobAccessDeps,
  taskId: bigint,
  q: BlobAuthorizationQuery,
): Promise<boolean> {
  const committee = await committeeOf(deps.ctx, { taskId });
  if (!committee.some((member) => isAddressEqual(member, q.requester))) return false;
  const task = await getTask(deps.ctx, { taskId });
  const wanted = q.digest.toLowerCase();
  if (task.params.specDigest.toLowerCase() === wanted) return true;
  if (!deps.blobs.hasBlob(task.params.specDigest)) return false;
  const { kind, spec } = decodeTaskSpec(
    deps.kinds,
    deps.blobs.getBlob(task.params.specDigest),
    task.params.kind,
  );
  return kind.inputs(spec).some((digest) => digest.toLowerCase() === wanted);
}

async function mayFetchPoolResult(
  deps: BlobAccessDeps,
  pool: Hex,
  q: BlobAuthorizationQuery,
): Promise<boolean> {
  const winners = await poolWinners(deps.ctx, { pool });
  if (!winners.some((w) => w.toLowerCase() === q.digest.toLowerCase())) return false;
  const owner = poolOwnerOf(pool);
  if (isAddressEqual(owner, q.requester)) return true;
  if (await isPoolCreator(deps.ctx, { owner, account: q.requester })) return true;
  return await holdsPoolShares(deps.ctx, pool, q.requester);
}

/** Whether `account` holds ownership shares of any task of `pool`. */
export async function holdsPoolShares(ctx: ConcordContext, pool: Hex, account: Address): Promise<boolean> {
  for (const taskId of await poolTasks(ctx, { pool })) {
    if ((await sharesOf(ctx, { account, taskId })) > 0n) return true;
  }
  return false;
}

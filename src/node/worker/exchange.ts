import type { Address, Hex } from 'viem';
import { committeeOf } from '../../chain/actions/committeeOf.ts';
import { getTask } from '../../chain/actions/getTask.ts';
import { participantState } from '../../chain/actions/participantState.ts';
import { poolTasks } from '../../chain/actions/poolTasks.ts';
import { type BlobFetcherDeps, fetchFromProviders } from '../blobFetcher.ts';

/** What one exchange round did: blobs fetched, and failures (retried next round). */
export type ExchangeReport = { fetched: Hex[]; failed: { digest: Hex; reason: string }[] };

/**
 * The exchange: a winner of a task in `pool` fetches the winning result of
 * every other finalized task of the pool that it does not hold yet, from the
 * nodes that revealed that result. The servers check on chain that this
 * node holds shares of the pool before they send a byte.
 */
export async function exchangePool(
  deps: BlobFetcherDeps,
  pool: Hex,
  signal?: AbortSignal,
): Promise<ExchangeReport> {
  const report: ExchangeReport = { fetched: [], failed: [] };
  for (const taskId of await poolTasks(deps.ctx, { pool })) {
    const task = await getTask(deps.ctx, { taskId });
    if (task.status !== 'finalized' || deps.blobs.hasBlob(task.winner)) continue;
    const providers = await winnersOf(deps, taskId, task.winner);
    try {
      await fetchFromProviders(deps, {
        digest: task.winner,
        purpose: 'pool',
        context: pool,
        providers,
        ...(signal ? { signal } : {}),
      });
      report.fetched.push(task.winner);
    } catch (err) {
      report.failed.push({ digest: task.winner, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}

async function winnersOf(deps: BlobFetcherDeps, taskId: bigint, winner: Hex): Promise<Address[]> {
  const members = await committeeOf(deps.ctx, { taskId });
  const states = await Promise.all(members.map((account) => participantState(deps.ctx, { taskId, account })));
  return members.filter((_, i) => states[i]?.status === 'revealed' && states[i]?.resultDigest === winner);
}

import { modelMemoryOf } from '../chain/actions/modelMemoryOf.ts';
import { setModelMemory } from '../chain/actions/setModelMemory.ts';
import type { ConcordContext } from '../chain/context.ts';

/** What `ensureModelMemory` did: whether it sent a transaction, and the cap the chain now holds. */
export type EnsureModelMemoryReturnType = { changed: boolean; bytes: bigint };

/**
 * Makes NodeRegistry hold `bytes` as the registered node's model memory cap
 * (0n = unlimited), announcing it only when the chain holds another value, so
 * every node plans this node's shards within it.
 */
export async function ensureModelMemory(
  ctx: ConcordContext,
  bytes: bigint,
): Promise<EnsureModelMemoryReturnType> {
  const held = await modelMemoryOf(ctx, { account: ctx.account.address });
  if (held === bytes) return { changed: false, bytes };
  await setModelMemory(ctx, { bytes });
  return { changed: true, bytes };
}

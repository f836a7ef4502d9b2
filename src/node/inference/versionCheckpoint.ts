import type { Address } from 'viem';
import type { ActiveNode } from '../../chain/actions/activeNodes.ts';
import { committeeOf } from '../../chain/actions/committeeOf.ts';
import type { ModelVersion } from '../../chain/actions/latestVersion.ts';
import { participantState } from '../../chain/actions/participantState.ts';
import type { ConcordContext } from '../../chain/context.ts';

/** The blob request context of a version's checkpoint: `<modelId>:<versionIndex>`. */
export function hostContext(modelId: bigint, versionIndex: bigint): string {
  return `${modelId}:${versionIndex}`;
}

/** Parses a `host` blob request context; undefined when it is not `<modelId>:<versionIndex>`. */
export function parseHostContext(context: string): { modelId: bigint; versionIndex: bigint } | undefined {
  const match = /^([1-9][0-9]{0,77}):(0|[1-9][0-9]{0,77})$/.exec(context);
  if (!match) return undefined;
  return { modelId: BigInt(match[1]!), versionIndex: BigInt(match[2]!) };
}

/**
 * The nodes that may hold a version's checkpoint, most likely first: those
 * that revealed the winning digest of the version's aggregate task, then the
 * model's owner (who created it from the genesis checkpoint), then every
 * active node (each serving node keeps the checkpoint it loaded).
 */
export async function checkpointProviders(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: { version: ModelVersion; owner: Address; nodes: readonly ActiveNode[] },
): Promise<Address[]> {
  const revealers = params.version.taskId === 0n ? [] : await revealersOf(ctx, params.version);
  const all = [...revealers, params.owner, ...params.nodes.map((n) => n.account)];
  return [...new Map(all.map((a) => [a.toLowerCase(), a])).values()];
}

async function revealersOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  version: ModelVersion,
): Promise<Address[]> {
  const taskId = version.taskId;
  const members = await committeeOf(ctx, { taskId });
  const states = await Promise.all(members.map((account) => participantState(ctx, { taskId, account })));
  const digest = version.digest.toLowerCase();
  return members.filter(
    (_, i) => states[i]?.status === 'revealed' && states[i]?.resultDigest.toLowerCase() === digest,
  );
}

import type { Address } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/**
 * One active node, its active (voting) stake and the model memory cap it
 * announced in bytes (0n = unlimited).
 */
export type ActiveNode = { account: Address; stake: bigint; modelMemory: bigint };
/** The active nodes in registration order. */
export type ActiveNodesReturnType = ActiveNode[];

/** Reads the registry's active nodes (stake at least the minimum) with their stakes and memory caps, in one call. */
export async function activeNodes(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<ActiveNodesReturnType> {
  const [accounts, stakes, memories] = await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'activeNodes',
  });
  return accounts.map((account, i) => ({ account, stake: stakes[i] ?? 0n, modelMemory: memories[i] ?? 0n }));
}

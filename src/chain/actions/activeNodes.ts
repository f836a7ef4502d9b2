import type { Address } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** One active node and its active (voting) stake. */
export type ActiveNode = { account: Address; stake: bigint };
/** The active nodes in registration order. */
export type ActiveNodesReturnType = ActiveNode[];

/** Reads the registry's active nodes (stake at least the minimum) with their stakes. */
export async function activeNodes(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<ActiveNodesReturnType> {
  const [accounts, stakes] = await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'activeNodes',
  });
  return accounts.map((account, i) => ({ account, stake: stakes[i] ?? 0n }));
}

import type { Address } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link unlockedStakeOf}. */
export type UnlockedStakeOfParameters = { account: Address };

/**
 * Reads the slashable stake of `account` not locked by open tasks
 * (NodeRegistry's `unlockedOf`): a commit to a task locks its `stakeSlash`
 * and fails with `NodeStakeLocked` when this is smaller.
 */
export async function unlockedStakeOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: UnlockedStakeOfParameters,
): Promise<bigint> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'unlockedOf',
    args: [params.account],
  });
}

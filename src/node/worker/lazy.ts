import { type Address, type Hex, isAddressEqual } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../../chain/context.ts';

/**
 * Tests only (`--lazy`): what another member of `taskId` has put on chain so
 * far — the first commitment of a member other than `me` (`Committed`), or
 * the first result digest another member revealed (`Revealed`) — or
 * undefined when there is none yet. A lazy node copies it instead of computing.
 */
export async function othersOnChain(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: { taskId: bigint; me: Address; event: 'Committed' | 'Revealed'; fromBlock: bigint },
): Promise<Hex | undefined> {
  const logs = await ctx.publicClient.getContractEvents({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    eventName: params.event,
    args: { taskId: params.taskId },
    fromBlock: params.fromBlock,
  });
  for (const { args } of logs) {
    if (args.account === undefined || isAddressEqual(args.account, params.me)) continue;
    const value =
      'commitment' in args ? args.commitment : 'resultDigest' in args ? args.resultDigest : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

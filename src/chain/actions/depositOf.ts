import type { Address } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** A querier's credits locked for one gateway; `unlockAt` is 0 unless a withdrawal is pending. */
export type CreditDeposit = { granted: bigint; bought: bigint; unlockAt: bigint };

/** Reads the credits `querier` locked for `gateway`. */
export async function depositOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: { querier: Address; gateway: Address },
): Promise<CreditDeposit> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'depositOf',
    args: [params.querier, params.gateway],
  });
}

/** Reads AccessCredits' withdrawal delay in seconds (a request must expire sooner to be served). */
export async function withdrawalDelay(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
): Promise<bigint> {
  const config = await ctx.publicClient.readContract({
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'config',
  });
  return config[6];
}

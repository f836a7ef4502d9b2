import type { Address } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link creditsOf}; the signer when `account` is omitted. */
export type CreditsOfParameters = { account?: Address };
/** The query credits held. */
export type CreditsOfReturnType = bigint;

/** Reads an account's query credits. */
export async function creditsOf(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'account'>,
  params: CreditsOfParameters = {},
): Promise<CreditsOfReturnType> {
  return await ctx.publicClient.readContract({
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'creditsOf',
    args: [params.account ?? ctx.account.address],
  });
}

import type { TransactionReceipt } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { ensureAllowance } from './ensureAllowance.ts';

/** Parameters of {@link buyCredits}. */
export type BuyCreditsParameters = TxOptions & { credits: bigint };
/** The cost paid (to the share holders) and the receipt. */
export type BuyCreditsReturnType = { cost: bigint; receipt: TransactionReceipt };

/** Buys query credits at the contract's price; the payment goes to share holders as dividends. */
export async function buyCredits(
  ctx: ConcordContext,
  params: BuyCreditsParameters,
): Promise<BuyCreditsReturnType> {
  const [, , , , , pricePerCredit] = await ctx.publicClient.readContract({
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'config',
  });
  const cost = params.credits * pricePerCredit;
  if (cost > 0n) await ensureAllowance(ctx, { spender: ctx.addresses.accessCredits, amount: cost });
  const receipt = await sendContract(ctx, {
    address: ctx.addresses.accessCredits,
    abi: accessCreditsAbi,
    functionName: 'buyCredits',
    args: [params.credits],
    ...txOptions(params),
  });
  return { cost, receipt };
}

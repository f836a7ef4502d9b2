import type { ConcordContext } from '../chain/context.ts';

/**
 * The time deadlines are judged by, in unix seconds: the later of the
 * latest block's timestamp and this machine's clock. A dev chain that mines
 * only on transactions lags the clock; one whose time was moved forward
 * leads it; either way the next block will be at least this late.
 */
export async function chainNow(ctx: Pick<ConcordContext, 'publicClient'>): Promise<number> {
  const block = await ctx.publicClient.getBlock({ blockTag: 'latest' });
  return Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000));
}

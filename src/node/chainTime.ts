import { BlockNotFoundError } from 'viem';
import type { ConcordContext } from '../chain/context.ts';

type ChainTimeClient = Pick<ConcordContext, 'publicClient'>['publicClient'];

/** RPC endpoints that answered `pending` with no block: asked for the latest block only from then on. */
const withoutPending = new WeakSet<ChainTimeClient>();

/**
 * The time every protocol decision is judged by, in unix seconds: the
 * chain's clock, never this machine's. It is the timestamp of the `pending`
 * block — the time a transaction sent now executes at (anvil answers it
 * with its current time even when no block is being mined; geth with the
 * block it is building) — or, where the RPC answers `pending` with no block
 * (remembered for the endpoint) or an error (this call only), the latest
 * block's timestamp, which on a chain with regular blocks lags by at most
 * one block interval.
 */
export async function chainNow(ctx: Pick<ConcordContext, 'publicClient'>): Promise<number> {
  const client = ctx.publicClient;
  if (!withoutPending.has(client)) {
    try {
      return Number((await client.getBlock({ blockTag: 'pending' })).timestamp);
    } catch (err) {
      if (err instanceof BlockNotFoundError) withoutPending.add(client);
    }
  }
  return Number((await client.getBlock({ blockTag: 'latest' })).timestamp);
}

/**
 * `chainNow` for a server answering many peers: one reading serves every
 * caller for `maxAgeMs` (default 1 s, judged by the monotonic clock) and
 * concurrent callers share one request, so requests cannot make the node
 * query the chain more than once per interval. A failed reading is not kept.
 */
export function cachedChainNow(
  ctx: Pick<ConcordContext, 'publicClient'>,
  maxAgeMs = 1000,
): () => Promise<number> {
  let reading: { at: number; time: Promise<number> } | undefined;
  return () => {
    const at = performance.now();
    if (reading === undefined || at - reading.at > maxAgeMs) {
      const time = chainNow(ctx);
      const current = { at, time };
      reading = current;
      time.catch(() => {
        if (reading === current) reading = undefined;
      });
    }
    return reading.time;
  };
}

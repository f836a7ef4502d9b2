import { statfs } from 'node:fs/promises';
import type { ConcordContext } from '../chain/context.ts';
import { errorLine } from '../chain/rpcErrors.ts';
import { ChainUnreachableError } from './errors.ts';

/** How a dependency of the node is doing. */
export type DependencyStatus = 'ok' | 'degraded' | 'down';

/** Per dependency, what `GET /health` checked. */
export type HealthChecks = {
  /** The latest block read with a short timeout; `degraded` when it is older than `staleBlockSeconds`. */
  chain: { status: DependencyStatus; head?: string; blockAgeSeconds?: number; error?: string };
  /** Connected libp2p peers; `degraded` with none. */
  peers: { status: DependencyStatus; connected: number };
  /** Free space of the data directory; `degraded` below `lowDiskBytes`, `down` below `fullDiskBytes`. */
  disk: { status: DependencyStatus; freeBytes?: number; error?: string };
};

/** Thresholds of {@link checkHealth}. */
export type HealthLimits = {
  /** How long the chain may take to answer, in ms (default 1500, so `/health` answers within 2 s). */
  chainTimeoutMs: number;
  /** A latest block older than this is `degraded` (default 120 s; dev chains that mine on demand show it when idle). */
  staleBlockSeconds: number;
  lowDiskBytes: number;
  fullDiskBytes: number;
};

/** Default {@link HealthLimits}. */
export const HEALTH_LIMITS: HealthLimits = {
  chainTimeoutMs: 1500,
  staleBlockSeconds: 120,
  lowDiskBytes: 256 * 1024 * 1024,
  fullDiskBytes: 8 * 1024 * 1024,
};

/** What {@link checkHealth} reads. */
export type HealthSources = {
  ctx: Pick<ConcordContext, 'publicClient'>;
  connectedPeers: () => number;
  dataDir: string;
};

/**
 * Checks the node's dependencies at once, each bounded in time: the chain
 * (latest block, one request without retries, abandoned after
 * `chainTimeoutMs`), peers (connected count) and disk (`statfs` of the data
 * directory). Never throws.
 */
export async function checkHealth(
  sources: HealthSources,
  limits: HealthLimits = HEALTH_LIMITS,
): Promise<HealthChecks> {
  const [chain, disk] = await Promise.all([checkChain(sources, limits), checkDisk(sources.dataDir, limits)]);
  const connected = sources.connectedPeers();
  return { chain, peers: { status: connected > 0 ? 'ok' : 'degraded', connected }, disk };
}

/** Throws {@link ChainUnreachableError} (HTTP 503, carrying the checks) when the chain is down. */
export function assertServing(checks: HealthChecks): void {
  if (checks.chain.status === 'down') {
    throw new ChainUnreachableError(`The chain is unreachable: ${checks.chain.error}.`, {
      checks,
      hint: 'Check the RPC endpoint (--chain); the node retries on its own and resumes when it answers.',
    });
  }
}

async function checkChain(sources: HealthSources, limits: HealthLimits): Promise<HealthChecks['chain']> {
  const signal = AbortSignal.timeout(limits.chainTimeoutMs);
  try {
    const block = await Promise.race([
      sources.ctx.publicClient.request(
        { method: 'eth_getBlockByNumber', params: ['latest', false] },
        { retryCount: 0, signal },
      ),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error(`no answer in ${limits.chainTimeoutMs} ms`))),
      ),
    ]);
    if (!block?.number) return { status: 'down', error: 'no latest block' };
    const blockAgeSeconds = Math.max(0, Math.floor(Date.now() / 1000) - Number(BigInt(block.timestamp)));
    return {
      status: blockAgeSeconds > limits.staleBlockSeconds ? 'degraded' : 'ok',
      head: BigInt(block.number).toString(),
      blockAgeSeconds,
    };
  } catch (err) {
    return { status: 'down', error: errorLine(err) };
  }
}

async function checkDisk(dataDir: string, limits: HealthLimits): Promise<HealthChecks['disk']> {
  try {
    const s = await statfs(dataDir);
    const freeBytes = Number(s.bavail) * Number(s.bsize);
    const status =
      freeBytes < limits.fullDiskBytes ? 'down' : freeBytes < limits.lowDiskBytes ? 'degraded' : 'ok';
    return { status, freeBytes };
  } catch (err) {
    return { status: 'down', error: errorLine(err) };
  }
}

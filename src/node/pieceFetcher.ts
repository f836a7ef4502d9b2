import type { Address, Hex } from 'viem';
import type { ConcordContext } from '../chain/context.ts';
import type { BlobPurpose } from '../p2p/blobRequest.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { type FetchedPieces, fetchPieces } from '../p2p/fetchPieces.ts';
import { signPiecesRequest } from '../p2p/piecesRequest.ts';
import { askProviders } from './blobFetcher.ts';
import { chainNow } from './chainTime.ts';
import { PiecesUnavailableError } from './errors.ts';

/** What fetching pieces needs: the p2p host and the chain (to find peers, sign requests). */
export type PieceFetcherDeps = {
  host: ConcordHost;
  ctx: ConcordContext;
  /** Time one fetch from one peer may take; default 15 s. */
  timeoutMs?: number;
};

/** Parameters of `fetchPiecesFromProviders`. */
export type FetchPiecesFromProvidersParameters = {
  /** The model digest D of the version. */
  digest: Hex;
  /** The leaf range [start, end). */
  start: number;
  end: number;
  /** `host`, with context `<modelId>:<versionIndex>`, for a version's shards. */
  purpose: BlobPurpose;
  context: string;
  /** Accounts of nodes that should serve the pieces, tried in order. */
  providers: readonly Address[];
  /** Largest payload accepted from one provider; default 64 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
};

/**
 * Fetches leaves [start, end) of model digest D: asks each provider's
 * registered peer in turn (as `fetchFromProviders` does) with a pieces
 * request signed by this node's account, until one delivers a range that
 * verifies against D. Throws `PiecesUnavailableError` naming each provider's
 * failure if none does.
 */
export async function fetchPiecesFromProviders(
  deps: PieceFetcherDeps,
  params: FetchPiecesFromProvidersParameters,
): Promise<FetchedPieces> {
  const asked = await askProviders(deps.ctx, params.providers, async (peer, signer) => {
    const request = await signPiecesRequest(signer, {
      digest: params.digest,
      chainId: deps.ctx.chain.id,
      purpose: params.purpose,
      context: params.context,
      start: params.start,
      end: params.end,
      chainTime: await chainNow(deps.ctx),
    });
    return await fetchPieces(deps.host, {
      peer,
      request,
      timeoutMs: deps.timeoutMs ?? 15_000,
      ...(params.maxBytes !== undefined ? { maxBytes: params.maxBytes } : {}),
      ...(params.signal ? { signal: params.signal } : {}),
    });
  });
  if (asked.ok) return asked.value;
  throw new PiecesUnavailableError(
    `No provider delivered leaves [${params.start}, ${params.end}) of model ${params.digest}.`,
    {
      details: asked.failures.join('; ') || 'no providers',
      hint: 'The providers may be offline, may not hold the model, or may not grant access; retry later.',
    },
  );
}

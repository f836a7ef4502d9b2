import type { PeerId } from '@libp2p/interface';
import type { Address, Hex, LocalAccount } from 'viem';
import type { ConcordContext } from '../chain/context.ts';
import type { StatementSigner } from '../chain/inferenceStatement.ts';
import { BaseError } from '../core/errors.ts';
import { type BlobPurpose, signBlobRequest } from '../p2p/blobRequest.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { fetchBlobToStore } from '../p2p/fetchBlob.ts';
import type { BlobStore } from '../store/blobStore.ts';
import { DiskFullError } from '../store/errors.ts';
import { chainNow } from './chainTime.ts';
import { BlobUnavailableError, NodeSignerError } from './errors.ts';
import { registeredPeerOf } from './registeredPeer.ts';

/** What fetching needs: the p2p host, the store blobs land in, and the chain (to find peers, sign requests). */
export type BlobFetcherDeps = {
  host: ConcordHost;
  blobs: BlobStore;
  ctx: ConcordContext;
  /** Time one fetch from one peer may take; default 15 s. */
  timeoutMs?: number;
};

/** Parameters of `fetchFromProviders`. */
export type FetchFromProvidersParameters = {
  digest: Hex;
  purpose: BlobPurpose;
  context: string;
  /** Accounts of nodes that should hold the blob, tried in order. */
  providers: readonly Address[];
  signal?: AbortSignal;
};

/**
 * Makes sure the store holds a blob: if not, asks each provider's registered
 * peer (with a verified peer binding) in turn with a request signed by this node's account (valid for
 * 60 s of chain time, so the two nodes' clocks need not agree), streaming the
 * bytes into the store (verified against the digest). Throws
 * `BlobUnavailableError` naming each provider's refusal if none delivers,
 * or the store's `DiskFullError` when the blob did not fit. A provider's
 * announced size that does not fit fails before its bytes are stored; the
 * next provider is still asked (the size is that provider's word), and until
 * statfs shows room for the smallest size refused, a retry fails before any
 * byte moves.
 */
export async function fetchFromProviders(
  deps: BlobFetcherDeps,
  params: FetchFromProvidersParameters,
): Promise<void> {
  if (deps.blobs.hasBlob(params.digest)) return;
  deps.blobs.ensureRoomToRetry(params.digest);
  const asked = await askProviders(deps.ctx, params.providers, async (peer, signer) => {
    const request = await signBlobRequest(signer, {
      digest: params.digest,
      chainId: deps.ctx.chain.id,
      purpose: params.purpose,
      context: params.context,
      chainTime: await chainNow(deps.ctx),
    });
    await fetchBlobToStore(deps.host, {
      peer,
      request,
      blobs: deps.blobs,
      timeoutMs: deps.timeoutMs ?? 15_000,
      ...(params.signal ? { signal: params.signal } : {}),
    });
  });
  if (asked.ok) return;
  // The size is the provider's word: one announcing more than fits must not block the others.
  const diskFull = asked.errors.findLast((err) => err instanceof DiskFullError);
  if (diskFull) throw diskFull;
  throw new BlobUnavailableError(`No provider delivered blob ${params.digest}.`, {
    details: asked.failures.join('; ') || 'no providers',
    hint: 'The providers may be offline or may not grant access; the node retries on its next round.',
  });
}

/** What `askProviders` found: the first provider's answer, or why each one failed. */
export type ProvidersAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; failures: string[]; errors: unknown[] };

/**
 * Asks each provider (other than this node) in turn, through its registered
 * peer with a verified peer binding, until `ask` resolves for one; `ask` gets
 * the peer and this node's signer. Returns the first answer, or each
 * provider's failure (the error's name) and the errors themselves.
 */
export async function askProviders<T>(
  ctx: ConcordContext,
  providers: readonly Address[],
  ask: (peer: PeerId, signer: ReturnType<typeof localSigner>) => Promise<T>,
): Promise<ProvidersAnswer<T>> {
  const signer = localSigner(ctx);
  const failures: string[] = [];
  const errors: unknown[] = [];
  for (const provider of providers) {
    if (provider.toLowerCase() === signer.address.toLowerCase()) continue;
    try {
      const peer = await registeredPeerOf(ctx, provider);
      if (!peer) {
        failures.push(`${provider}: no verified peer binding`);
        continue;
      }
      return { ok: true, value: await ask(peer, signer) };
    } catch (err) {
      errors.push(err);
      failures.push(`${provider}: ${err instanceof BaseError ? err.name : 'error'}`);
    }
  }
  return { ok: false, failures, errors };
}

/** The node account as a signer of typed data and of hashes (NodeSignerError unless it is a local key). */
export function localSigner(
  ctx: ConcordContext,
): Pick<LocalAccount, 'address' | 'signTypedData'> & StatementSigner {
  const account = ctx.account;
  if (account.type !== 'local' || account.signTypedData === undefined || account.sign === undefined) {
    throw new NodeSignerError('The node account cannot sign blob requests or inference answers.', {
      hint: 'Run the node with a local private key (--key FILE).',
    });
  }
  return { address: account.address, signTypedData: account.signTypedData, sign: account.sign };
}

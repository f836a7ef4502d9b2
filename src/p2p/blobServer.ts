import type { Stream } from '@libp2p/interface';
import type { Address, Hex } from 'viem';
import type { ModelOpening } from '../model/pieces/digest.ts';
import type { BlobStore } from '../store/blobStore.ts';
import { BlobNotStoredError } from '../store/errors.ts';
import { type BlobPurpose, isBlobRequestSignedByRequester, parseSignedBlobRequest } from './blobRequest.ts';
import { type BlobErrorCode, encodeResponseHeader } from './blobWire.ts';
import {
  BLOB_CHUNK_BYTES,
  BLOB_PROTOCOL,
  DEFAULT_SERVE_TIMEOUT_MS,
  MAX_INBOUND_BLOB_STREAMS,
} from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { BlobServeTimeoutError } from './errors.ts';
import {
  answerStream,
  emptyServerStats,
  Refusal,
  RequestGate,
  readJsonRequest,
  type SignedRequestServerStats,
  sendAll,
} from './requestGate.ts';

/** What the server asks the injected rights check (the node backs it with the chain). */
export type BlobAuthorizationQuery = {
  requester: Address;
  digest: Hex;
  purpose: BlobPurpose;
  context: string;
};

/** The on-chain rights check, injected so p2p never touches the chain itself. */
export type AuthorizeBlobRequest = (query: BlobAuthorizationQuery) => Promise<boolean>;

/**
 * A blob opened for serving: its size, its bytes in chunks, and for a blob
 * addressed by a model digest the opening it is sent with.
 */
export type OpenedBlob = { size: number; chunks: AsyncIterable<Uint8Array>; opening?: ModelOpening };

/** Where a server reads blobs from; `undefined` when it does not have the blob. */
export type BlobSource = (digest: Hex) => Promise<OpenedBlob | undefined>;

/** Serves blobs from a store (model blobs with their openings), verifying each against its digest while streaming it. */
export function storeBlobSource(blobs: BlobStore): BlobSource {
  return async (digest) => {
    try {
      return await blobs.openRead(digest, BLOB_CHUNK_BYTES);
    } catch (err) {
      if (err instanceof BlobNotStoredError) return undefined;
      throw err;
    }
  };
}

/** Options of a blob server. */
export type BlobServerInit = {
  /** The chain whose signatures are accepted. */
  chainId: number;
  authorize: AuthorizeBlobRequest;
  source: BlobSource;
  /**
   * The chain's time in unix seconds, which requests' `expiresAt` is judged
   * by (the node passes a cached `chainNow`): injected, so p2p never touches
   * the chain, and never the local clock, which may disagree with the
   * requester's.
   */
  chainTime: () => Promise<number>;
  /** Time one request may take; default 120 s. */
  timeoutMs?: number;
  /** Request frame limit; default 4 KiB. */
  maxRequestBytes?: number;
  /** Concurrent inbound blob streams per connection; default 8. */
  maxInboundStreams?: number;
  /** Bound on remembered nonces; default 100 000. */
  maxRememberedNonces?: number;
};

/** Counters of what a server did. */
export type BlobServerStats = SignedRequestServerStats;

/**
 * The server side of `/concord/blob/1.0.0`. For each stream it reads one
 * size-limited request frame, checks the EIP-712 signature, the expiry (by
 * the chain's time) and the nonce,
 * asks `authorize`, and only then sends the size header (with the opening
 * of a blob addressed by a model digest) and the blob in
 * chunks. Any refusal is a small error frame with a stable code.
 */
export class BlobServer {
  readonly stats: BlobServerStats = emptyServerStats();
  readonly #host: ConcordHost;
  readonly #init: BlobServerInit;
  readonly #gate: RequestGate;

  /** Call `start` to begin serving. */
  constructor(host: ConcordHost, init: BlobServerInit) {
    this.#host = host;
    this.#init = init;
    this.#gate = new RequestGate(init);
  }

  /** Registers the protocol handler. */
  async start(): Promise<void> {
    const maxInboundStreams = this.#init.maxInboundStreams ?? MAX_INBOUND_BLOB_STREAMS;
    await this.#host.handle(BLOB_PROTOCOL, (stream) => this.#handle(stream), {
      maxInboundStreams,
    });
  }

  /** Unregisters the handler (streams in flight finish or time out). */
  async stop(): Promise<void> {
    await this.#host.unhandle(BLOB_PROTOCOL);
  }

  async #handle(stream: Stream): Promise<void> {
    const timeoutMs = this.#init.timeoutMs ?? DEFAULT_SERVE_TIMEOUT_MS;
    await answerStream(stream, {
      timeoutMs,
      timeoutError: () =>
        new BlobServeTimeoutError(`The blob request did not finish within ${timeoutMs} ms.`),
      stats: this.stats,
      refusalFrame: (refusal) =>
        encodeResponseHeader({
          ok: false,
          code: refusal.wireCode as BlobErrorCode,
          message: refusal.shortMessage,
        }),
      respond: async (signal) => {
        const blob = await this.#admit(stream);
        const header = blob.opening
          ? { ok: true as const, size: blob.size, opening: blob.opening }
          : { ok: true as const, size: blob.size };
        await sendAll(stream, encodeResponseHeader(header), signal);
        for await (const chunk of blob.chunks) {
          await sendAll(stream, chunk, signal);
          this.stats.bytesServed += chunk.byteLength;
        }
      },
    });
  }

  /** Reads and checks the request; resolves to the blob to send or throws a Refusal. */
  async #admit(stream: Stream): Promise<OpenedBlob> {
    const request = parseSignedBlobRequest(await readJsonRequest(stream, this.#init.maxRequestBytes));
    if (typeof request === 'string') throw new Refusal('MALFORMED', request);
    const query = {
      requester: request.requester,
      digest: request.digest,
      purpose: request.purpose,
      context: request.context,
    };
    await this.#gate.admit(request, isBlobRequestSignedByRequester, () => this.#init.authorize(query));
    const blob = await this.#init.source(request.digest).catch(() => {
      throw new Refusal('UNAVAILABLE', 'the blob could not be read; retry later or ask another peer');
    });
    if (!blob) throw new Refusal('NOT_FOUND', 'this peer does not hold the blob');
    return blob;
  }
}

/** Creates and starts a blob server on `host`. */
export async function serveBlobs(host: ConcordHost, init: BlobServerInit): Promise<BlobServer> {
  const server = new BlobServer(host, init);
  await server.start();
  return server;
}

import type { Stream } from '@libp2p/interface';
import type { Address, Hex } from 'viem';
import { BaseError } from '../core/errors.ts';
import type { ModelOpening } from '../model/pieces/digest.ts';
import type { BlobStore } from '../store/blobStore.ts';
import { BlobNotStoredError } from '../store/errors.ts';
import { asError } from './asError.ts';
import { type BlobPurpose, isBlobRequestSignedByRequester, parseSignedBlobRequest } from './blobRequest.ts';
import { type BlobErrorCode, encodeResponseHeader } from './blobWire.ts';
import {
  BLOB_CHUNK_BYTES,
  BLOB_PROTOCOL,
  CHAIN_TIME_TOLERANCE_SECONDS,
  DEFAULT_SERVE_TIMEOUT_MS,
  MAX_BLOB_REQUEST_BYTES,
  MAX_INBOUND_BLOB_STREAMS,
  MAX_REMEMBERED_NONCES,
  MAX_REQUEST_VALIDITY_SECONDS,
} from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { BlobServeTimeoutError, FrameTooLargeError } from './errors.ts';
import { FrameReader } from './frames.ts';
import { NonceCache } from './nonceCache.ts';

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
export type BlobServerStats = {
  served: number;
  bytesServed: number;
  refused: Record<string, number>;
  failed: number;
};

/** A request refused with a wire code (never leaves the server as an exception). */
class Refusal extends BaseError {
  override name = 'BlobServeRefusalError';
  constructor(
    readonly wireCode: BlobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The server side of `/concord/blob/1.0.0`. For each stream it reads one
 * size-limited request frame, checks the EIP-712 signature, the expiry (by
 * the chain's time) and the nonce,
 * asks `authorize`, and only then sends the size header (with the opening
 * of a blob addressed by a model digest) and the blob in chunks. Any refusal
 * is a small error frame with a stable code.
 */
export class BlobServer {
  readonly stats: BlobServerStats = { served: 0, bytesServed: 0, refused: {}, failed: 0 };
  readonly #host: ConcordHost;
  readonly #init: BlobServerInit;
  readonly #nonces: NonceCache;

  /** Call `start` to begin serving. */
  constructor(host: ConcordHost, init: BlobServerInit) {
    this.#host = host;
    this.#init = init;
    this.#nonces = new NonceCache(init.maxRememberedNonces ?? MAX_REMEMBERED_NONCES);
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
    const signal = AbortSignal.timeout(timeoutMs);
    const onTimeout = () =>
      stream.abort(new BlobServeTimeoutError(`The blob request did not finish within ${timeoutMs} ms.`));
    signal.addEventListener('abort', onTimeout, { once: true });
    try {
      const blob = await this.#admit(stream);
      const header = blob.opening
        ? { ok: true as const, size: blob.size, opening: blob.opening }
        : { ok: true as const, size: blob.size };
      await sendAll(stream, encodeResponseHeader(header), signal);
      for await (const chunk of blob.chunks) {
        await sendAll(stream, chunk, signal);
        this.stats.bytesServed += chunk.byteLength;
      }
      await stream.close({ signal });
      this.stats.served++;
    } catch (err) {
      if (err instanceof Refusal) {
        this.stats.refused[err.wireCode] = (this.stats.refused[err.wireCode] ?? 0) + 1;
        await this.#refuse(stream, err, signal);
      } else {
        this.stats.failed++;
        stream.abort(asError(err));
      }
    } finally {
      signal.removeEventListener('abort', onTimeout);
    }
  }

  /** Reads and checks the request; resolves to the blob to send or throws a Refusal. */
  async #admit(stream: Stream): Promise<OpenedBlob> {
    const reader = new FrameReader(stream);
    let frame: Uint8Array;
    try {
      frame = await reader.readFrame(this.#init.maxRequestBytes ?? MAX_BLOB_REQUEST_BYTES);
    } catch (err) {
      if (err instanceof FrameTooLargeError) throw new Refusal('TOO_LARGE', err.shortMessage);
      throw new Refusal('MALFORMED', 'the request frame is incomplete');
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame));
    } catch {
      throw new Refusal('MALFORMED', 'the request is not UTF-8 JSON');
    }
    const request = parseSignedBlobRequest(json);
    if (typeof request === 'string') throw new Refusal('MALFORMED', request);
    if (request.chainId !== this.#init.chainId) {
      throw new Refusal('BAD_SIGNATURE', `this server accepts chain ${this.#init.chainId} only`);
    }
    if (!(await isBlobRequestSignedByRequester(request))) {
      throw new Refusal('BAD_SIGNATURE', 'the signature is not the requester’s');
    }
    const now = await this.#init.chainTime().catch(() => {
      throw new Refusal('UNAVAILABLE', 'the chain time could not be read; retry later or ask another peer');
    });
    // Both sides read the chain's time, so only their readings' lag needs slack.
    if (request.expiresAt < now - CHAIN_TIME_TOLERANCE_SECONDS) {
      throw new Refusal(
        'EXPIRED',
        `the request expired at ${request.expiresAt}, chain time is ${now}; sign a new one`,
      );
    }
    if (request.expiresAt > now + MAX_REQUEST_VALIDITY_SECONDS + CHAIN_TIME_TOLERANCE_SECONDS) {
      throw new Refusal(
        'EXPIRED',
        `requests may be valid for at most ${MAX_REQUEST_VALIDITY_SECONDS} s of chain time (${request.expiresAt} is past ${now} + ${MAX_REQUEST_VALIDITY_SECONDS} s)`,
      );
    }
    const nonceKey = `${request.requester}:${request.nonce}`;
    if (this.#nonces.has(nonceKey, now)) throw new Refusal('REPLAYED', 'this nonce was already used');
    const query = {
      requester: request.requester,
      digest: request.digest,
      purpose: request.purpose,
      context: request.context,
    };
    const allowed = await this.#init.authorize(query).catch(() => {
      throw new Refusal('UNAVAILABLE', 'the rights check failed; retry later or ask another peer');
    });
    if (allowed !== true) throw new Refusal('UNAUTHORIZED', 'the requester has no right to this blob');
    // Only authorized requests take room in the nonce memory, so strangers cannot fill it.
    const seen = this.#nonces.remember(nonceKey, request.expiresAt + CHAIN_TIME_TOLERANCE_SECONDS, now);
    if (seen === 'replayed') throw new Refusal('REPLAYED', 'this nonce was already used');
    if (seen === 'full') throw new Refusal('BUSY', 'too many requests in flight; retry shortly');
    const blob = await this.#init.source(request.digest).catch(() => {
      throw new Refusal('UNAVAILABLE', 'the blob could not be read; retry later or ask another peer');
    });
    if (!blob) throw new Refusal('NOT_FOUND', 'this peer does not hold the blob');
    return blob;
  }

  async #refuse(stream: Stream, refusal: Refusal, signal: AbortSignal): Promise<void> {
    try {
      await sendAll(
        stream,
        encodeResponseHeader({ ok: false, code: refusal.wireCode, message: refusal.shortMessage }),
        signal,
      );
      await stream.close({ signal });
    } catch (err) {
      stream.abort(asError(err));
    }
  }
}

/** Sends bytes, waiting for the stream to drain when its buffer is full. */
export async function sendAll(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain({ signal });
}

/** Creates and starts a blob server on `host`. */
export async function serveBlobs(host: ConcordHost, init: BlobServerInit): Promise<BlobServer> {
  const server = new BlobServer(host, init);
  await server.start();
  return server;
}

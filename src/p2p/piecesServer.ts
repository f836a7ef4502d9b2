import type { Stream } from '@libp2p/interface';
import type { Hex } from 'viem';
import type { ModelOpening, PieceTree } from '../model/pieces/index.ts';
import type { BlobAuthorizationQuery } from './blobServer.ts';
import {
  DEFAULT_MAX_PIECES_RANGE_BYTES,
  DEFAULT_SERVE_TIMEOUT_MS,
  MAX_INBOUND_BLOB_STREAMS,
  PIECES_PROTOCOL,
} from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { PiecesServeTimeoutError } from './errors.ts';
import { encodeFrame } from './frames.ts';
import { isPiecesRequestSignedByRequester, parseSignedPiecesRequest } from './piecesRequest.ts';
import { encodePiecesHeader, type PiecesErrorCode } from './piecesWire.ts';
import {
  answerStream,
  emptyServerStats,
  Refusal,
  RequestGate,
  readJsonRequest,
  type SignedRequestServerStats,
  sendAll,
} from './requestGate.ts';

/**
 * What a server serves of one model digest: its opening, its pieces tree
 * (its leaf count and range proofs), each leaf's payload (encoded on demand),
 * and the payload bytes of a leaf range (checked against the limit before
 * sending).
 */
export type PieceSource = {
  readonly opening: ModelOpening;
  readonly tree: Pick<PieceTree, 'leafCount' | 'proveRange'>;
  payload(index: number): Uint8Array;
  rangeBytes(start: number, end: number): number;
};

/** What the server asks the injected rights check: a blob query plus the leaf range. */
export type PiecesAuthorizationQuery = BlobAuthorizationQuery & { start: number; end: number };

/** Options of a pieces server. */
export type PiecesServerInit = {
  /** The chain whose signatures are accepted. */
  chainId: number;
  /** The model digests this node serves pieces of; `undefined` for any other digest. */
  sources: (digest: Hex) => PieceSource | undefined;
  /** The on-chain rights check (the node's blob authorizer fits: it ignores the range). */
  authorize: (query: PiecesAuthorizationQuery) => Promise<boolean>;
  /** The chain's time in unix seconds; see `BlobServerInit.chainTime`. */
  chainTime: () => Promise<number>;
  /** Largest payload (bytes of all leaves) sent for one request; default 64 MiB. */
  maxRangeBytes?: number;
  /** Time one request may take; default 120 s. */
  timeoutMs?: number;
  /** Request frame limit; default 4 KiB. */
  maxRequestBytes?: number;
  /** Concurrent inbound streams per connection; default 8. */
  maxInboundStreams?: number;
  /** Bound on remembered nonces; default 100 000. */
  maxRememberedNonces?: number;
};

/**
 * The server side of `/concord/pieces/1.0.0`. For each stream it reads one
 * signed request (checked like a blob request: signature, chain-time expiry,
 * nonce, rights), checks the range against the model's leaves and the byte
 * limit, then sends the header (opening, range proof, total bytes) and one
 * frame per leaf payload. Any refusal is a small error frame with a stable code.
 */
export class PiecesServer {
  readonly stats: SignedRequestServerStats = emptyServerStats();
  readonly #host: ConcordHost;
  readonly #init: PiecesServerInit;
  readonly #gate: RequestGate;

  /** Call `start` to begin serving. */
  constructor(host: ConcordHost, init: PiecesServerInit) {
    this.#host = host;
    this.#init = init;
    this.#gate = new RequestGate(init);
  }

  /** Registers the protocol handler. */
  async start(): Promise<void> {
    const maxInboundStreams = this.#init.maxInboundStreams ?? MAX_INBOUND_BLOB_STREAMS;
    await this.#host.handle(PIECES_PROTOCOL, (stream) => this.#handle(stream), { maxInboundStreams });
  }

  /** Unregisters the handler (streams in flight finish or time out). */
  async stop(): Promise<void> {
    await this.#host.unhandle(PIECES_PROTOCOL);
  }

  async #handle(stream: Stream): Promise<void> {
    const timeoutMs = this.#init.timeoutMs ?? DEFAULT_SERVE_TIMEOUT_MS;
    await answerStream(stream, {
      timeoutMs,
      timeoutError: () =>
        new PiecesServeTimeoutError(`The pieces request did not finish within ${timeoutMs} ms.`),
      stats: this.stats,
      refusalFrame: (refusal) =>
        encodePiecesHeader({
          ok: false,
          code: refusal.wireCode as PiecesErrorCode,
          message: refusal.shortMessage,
        }),
      respond: async (signal) => {
        const { source, start, end, bytes } = await this.#admit(stream);
        const proof = source.tree.proveRange(start, end);
        await sendAll(
          stream,
          encodePiecesHeader({ ok: true, opening: source.opening, proof, bytes }),
          signal,
        );
        for (let index = start; index < end; index++) {
          const payload = source.payload(index);
          await sendAll(stream, encodeFrame(payload), signal);
          this.stats.bytesServed += payload.byteLength;
        }
      },
    });
  }

  /** Reads and checks the request; resolves to what to send or throws a Refusal. */
  async #admit(stream: Stream) {
    const request = parseSignedPiecesRequest(await readJsonRequest(stream, this.#init.maxRequestBytes));
    if (typeof request === 'string') throw new Refusal('MALFORMED', request);
    const { requester, digest, purpose, context, start, end } = request;
    const query = { requester, digest, purpose, context, start, end };
    await this.#gate.admit(request, isPiecesRequestSignedByRequester, () => this.#init.authorize(query));
    let source: PieceSource | undefined;
    try {
      source = this.#init.sources(digest);
    } catch {
      throw new Refusal('UNAVAILABLE', 'the pieces could not be read; retry later or ask another peer');
    }
    if (!source) throw new Refusal('NOT_FOUND', 'this peer does not serve pieces of this model');
    const leafCount = source.tree.leafCount;
    if (end > leafCount) {
      throw new Refusal('BAD_RANGE', `leaves [${start}, ${end}) are not within the model's ${leafCount}`);
    }
    const bytes = source.rangeBytes(start, end);
    const limit = this.#init.maxRangeBytes ?? DEFAULT_MAX_PIECES_RANGE_BYTES;
    if (bytes > limit) {
      throw new Refusal(
        'RANGE_TOO_LARGE',
        `leaves [${start}, ${end}) hold ${bytes} bytes; this peer sends at most ${limit} per request`,
      );
    }
    return { source, start, end, bytes };
  }
}

/** Creates and starts a pieces server on `host`. */
export async function servePieces(host: ConcordHost, init: PiecesServerInit): Promise<PiecesServer> {
  const server = new PiecesServer(host, init);
  await server.start();
  return server;
}

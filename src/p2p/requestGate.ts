import type { Stream } from '@libp2p/interface';
import { BaseError } from '../core/errors.ts';
import { asError } from './asError.ts';
import type { SignedBlobRequest } from './blobRequest.ts';
import {
  CHAIN_TIME_TOLERANCE_SECONDS,
  MAX_BLOB_REQUEST_BYTES,
  MAX_REMEMBERED_NONCES,
  MAX_REQUEST_VALIDITY_SECONDS,
} from './constants.ts';
import { FrameTooLargeError } from './errors.ts';
import { FrameReader } from './frames.ts';
import { NonceCache } from './nonceCache.ts';

/**
 * A request refused with a stable wire code (never leaves a server as an
 * exception: the server answers it with an error frame).
 */
export class Refusal extends BaseError {
  override name = 'RequestRefusalError';
  constructor(
    readonly wireCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Counters of what a server of signed requests did. */
export type SignedRequestServerStats = {
  served: number;
  bytesServed: number;
  refused: Record<string, number>;
  failed: number;
};

/** Fresh, zeroed counters. */
export function emptyServerStats(): SignedRequestServerStats {
  return { served: 0, bytesServed: 0, refused: {}, failed: 0 };
}

/** What a gate needs: the accepted chain, its clock, and a bound on remembered nonces. */
export type RequestGateInit = {
  chainId: number;
  /** The chain's time in unix seconds (never the local clock); see `BlobServerInit.chainTime`. */
  chainTime: () => Promise<number>;
  /** Bound on remembered nonces; default 100 000. */
  maxRememberedNonces?: number;
};

/**
 * The checks every signed request passes before a server answers it: the
 * chain, the EIP-712 signature, the expiry (by the chain's time), the nonce
 * (each accepted once), and the injected rights check. Each failure is a
 * `Refusal` with a blob-protocol code.
 */
export class RequestGate {
  readonly #init: RequestGateInit;
  readonly #nonces: NonceCache;

  /** One gate per server: its nonce memory is the server's replay protection. */
  constructor(init: RequestGateInit) {
    this.#init = init;
    this.#nonces = new NonceCache(init.maxRememberedNonces ?? MAX_REMEMBERED_NONCES);
  }

  /** Resolves when `request` may be served; throws a `Refusal` otherwise. */
  async admit<R extends SignedBlobRequest>(
    request: R,
    isSigned: (request: R) => Promise<boolean>,
    authorize: () => Promise<boolean>,
  ): Promise<void> {
    if (request.chainId !== this.#init.chainId) {
      throw new Refusal('BAD_SIGNATURE', `this server accepts chain ${this.#init.chainId} only`);
    }
    if (!(await isSigned(request))) {
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
    const allowed = await authorize().catch(() => {
      throw new Refusal('UNAVAILABLE', 'the rights check failed; retry later or ask another peer');
    });
    if (allowed !== true) throw new Refusal('UNAUTHORIZED', 'the requester has no right to this data');
    // Only authorized requests take room in the nonce memory, so strangers cannot fill it.
    const seen = this.#nonces.remember(nonceKey, request.expiresAt + CHAIN_TIME_TOLERANCE_SECONDS, now);
    if (seen === 'replayed') throw new Refusal('REPLAYED', 'this nonce was already used');
    if (seen === 'full') throw new Refusal('BUSY', 'too many requests in flight; retry shortly');
  }
}

/**
 * Reads a stream's one size-limited request frame as JSON; a frame over
 * `maxBytes` is refused `TOO_LARGE`, anything unreadable `MALFORMED`.
 */
export async function readJsonRequest(stream: Stream, maxBytes = MAX_BLOB_REQUEST_BYTES): Promise<unknown> {
  let frame: Uint8Array;
  try {
    frame = await new FrameReader(stream).readFrame(maxBytes);
  } catch (err) {
    if (err instanceof FrameTooLargeError) throw new Refusal('TOO_LARGE', err.shortMessage);
    throw new Refusal('MALFORMED', 'the request frame is incomplete');
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame));
  } catch {
    throw new Refusal('MALFORMED', 'the request is not UTF-8 JSON');
  }
}

/** How `answerStream` answers one stream. */
export type AnswerStreamParameters = {
  /** Time the whole answer may take; the stream is aborted with `timeoutError` after it. */
  timeoutMs: number;
  timeoutError: () => Error;
  stats: SignedRequestServerStats;
  /** The error frame sent for a refusal. */
  refusalFrame: (refusal: Refusal) => Uint8Array;
  /** Reads, checks and answers the request (throwing a `Refusal` to refuse it), all within `signal`. */
  respond: (signal: AbortSignal) => Promise<void>;
};

/**
 * Runs a server's answer to one stream under a timeout, then closes it; a
 * `Refusal` is counted and answered with its error frame, any other failure
 * counted and the stream aborted.
 */
export async function answerStream(stream: Stream, params: AnswerStreamParameters): Promise<void> {
  const signal = AbortSignal.timeout(params.timeoutMs);
  const onTimeout = () => stream.abort(params.timeoutError());
  signal.addEventListener('abort', onTimeout, { once: true });
  try {
    await params.respond(signal);
    await stream.close({ signal });
    params.stats.served++;
  } catch (err) {
    if (err instanceof Refusal) {
      params.stats.refused[err.wireCode] = (params.stats.refused[err.wireCode] ?? 0) + 1;
      await refuse(stream, params.refusalFrame(err), signal);
    } else {
      params.stats.failed++;
      stream.abort(asError(err));
    }
  } finally {
    signal.removeEventListener('abort', onTimeout);
  }
}

async function refuse(stream: Stream, frame: Uint8Array, signal: AbortSignal): Promise<void> {
  try {
    await sendAll(stream, frame, signal);
    await stream.close({ signal });
  } catch (err) {
    stream.abort(asError(err));
  }
}

/** Sends bytes, waiting for the stream to drain when its buffer is full. */
export async function sendAll(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain({ signal });
}

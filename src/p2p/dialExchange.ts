import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { BaseError } from '../core/errors.ts';
import { asError } from './asError.ts';
import type { ConcordHost } from './createHost.ts';
import { BlobFetchAbortedError, BlobFetchTimeoutError } from './errors.ts';

/** Parameters of `dialExchange`. */
export type DialExchangeParameters = {
  /** The serving peer: its id (already known to the peer store) or its multiaddr(s). */
  peer: PeerId | Multiaddr | Multiaddr[];
  protocol: string;
  /** Time the whole exchange may take. */
  timeoutMs: number;
  /** Aborts the exchange (and its stream). */
  signal?: AbortSignal | undefined;
  /** What is fetched, for messages: `blob`, `pieces`. */
  what: string;
  /** The protocol's error for a stream that failed without a named error. */
  protocolError: (message: string, cause: unknown) => BaseError;
};

/**
 * Opens a stream to `peer` and runs `exchange` on it within the timeout and
 * the caller's signal. Every failure aborts the stream and surfaces as a
 * named error: `BlobFetchAbortedError` when the caller aborted,
 * `BlobFetchTimeoutError` on timeout, the exchange's own named error, or
 * else the protocol's error.
 */
export async function dialExchange<T>(
  host: ConcordHost,
  params: DialExchangeParameters,
  exchange: (stream: Stream, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(params.timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, timeout]) : timeout;
  let stream: Stream | undefined;
  const onAbort = () => stream?.abort(new BlobFetchAbortedError(`The ${params.what} fetch was aborted.`));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    stream = await host.dialProtocol(params.peer, params.protocol, { signal });
    return await exchange(stream, signal);
  } catch (err) {
    stream?.abort(asError(err));
    if (params.signal?.aborted) {
      throw new BlobFetchAbortedError(`The ${params.what} fetch was aborted by the caller.`, { cause: err });
    }
    if (timeout.aborted) {
      throw new BlobFetchTimeoutError(
        `The ${params.what} fetch did not finish within ${params.timeoutMs} ms.`,
        {
          hint: 'Raise timeoutMs for large transfers or slow peers, or try another holder.',
          cause: err,
        },
      );
    }
    if (err instanceof BaseError) throw err;
    throw params.protocolError(`The ${params.what} stream failed before the transfer was complete.`, err);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

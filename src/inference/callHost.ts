import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { concatBytes, type Hex } from 'viem';
import { INFERENCE_PROTOCOL_ID } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { BaseError } from '../core/errors.ts';
import { asError } from '../p2p/asError.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { FrameReader } from '../p2p/frames.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_INFER_HEADER_BYTES, MAX_PARTIAL_BYTES } from './constants.ts';
import {
  InferMalformedError,
  InferResponseMismatchError,
  InferTimeoutError,
  InferTransportError,
} from './errors.ts';
import {
  decodeF32,
  f32Frame,
  headerJson,
  jsonFrame,
  parseJsonFrame,
  parseResponseHeader,
  type RequestHeader,
  refusalError,
} from './wire.ts';

/** Where a host is: its peer id (known to the peer store) or its multiaddr(s). */
export type HostPeer = PeerId | Multiaddr | Multiaddr[];

/** One request to a host: every shard it serves in a step. */
export type HostCall = {
  header: RequestHeader;
  /** Activations per item (same order as `header.items`). */
  inputs: readonly Float32Array[];
  /** Rows expected per item; a response of another length is refused. */
  rows: readonly number[];
  /** Time the call may take, including a dial; default 10 s. */
  timeoutMs?: number;
};

/**
 * A host's answer: per item its digest and rows (checked to match), and for a
 * sealing request the signature over every item since the host's last one.
 */
export type HostAnswer = { signature: Hex | null; digests: Hex[]; outputs: Float32Array[] };

/**
 * A stream to one host kept open across the steps of a session, so a step
 * costs one round trip instead of a protocol negotiation plus a round trip.
 * Calls are serialized. Each frame's size is checked before it is read; the
 * rows of every item must hash to the digest the host signed (the signature
 * itself is checked by the caller with `verifyStatement`). Any failure aborts
 * the stream (the next call dials again) and surfaces as a named error:
 * InferTimeoutError, InferTransportError, the host's refusal, or
 * InferResponseMismatchError.
 */
export class HostChannel {
  readonly #host: ConcordHost;
  readonly #peer: HostPeer;
  #open: { stream: Stream; reader: FrameReader } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** No stream is opened until the first call. */
  constructor(host: ConcordHost, peer: HostPeer) {
    this.#host = host;
    this.#peer = peer;
  }

  /** Sends one request and reads its answer. */
  call(call: HostCall): Promise<HostAnswer> {
    const result = this.#queue.then(() => this.#call(call));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Closes the stream (the host sees the end and stops waiting for requests). */
  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    await open?.stream.close().catch((err: unknown) => open.stream.abort(asError(err)));
  }

  async #call(call: HostCall): Promise<HostAnswer> {
    const timeoutMs = call.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    let stream: Stream | undefined;
    const onAbort = () => stream?.abort(new InferTimeoutError('The inference call timed out.'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!this.#open) {
        const s = await this.#host.dialProtocol(this.#peer, INFERENCE_PROTOCOL_ID, { signal });
        this.#open = { stream: s, reader: new FrameReader(s) };
      }
      stream = this.#open.stream;
      return await exchange(this.#open, call, signal, String(this.#peer));
    } catch (err) {
      const open = this.#open;
      this.#open = undefined;
      open?.stream.abort(asError(err));
      if (signal.aborted) {
        throw new InferTimeoutError(`The host did not answer within ${timeoutMs} ms.`, {
          hint: 'The gateway replaces hosts that time out with a standby.',
          cause: err,
        });
      }
      if (err instanceof BaseError) throw err;
      throw new InferTransportError('The inference stream failed before the answer was complete.', {
        cause: err,
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** One request over a fresh stream, closed afterwards (for one-off calls; sessions keep a HostChannel). */
export async function callHost(host: ConcordHost, peer: HostPeer, call: HostCall): Promise<HostAnswer> {
  const channel = new HostChannel(host, peer);
  try {
    return await channel.call(call);
  } finally {
    await channel.close();
  }
}

async function exchange(
  { stream, reader }: { stream: Stream; reader: FrameReader },
  call: HostCall,
  signal: AbortSignal,
  peer: string,
): Promise<HostAnswer> {
  const { header, inputs, rows } = call;
  // One write per request: fewer Yamux frames and Noise messages than one per frame.
  if (!stream.send(concatBytes([jsonFrame(headerJson(header)), ...inputs.map(f32Frame)])))
    await stream.onDrain({ signal });
  const response = parseResponseHeader(
    parseJsonFrame(await reader.readFrame(MAX_INFER_HEADER_BYTES)),
    rows.length,
    header.seal,
  );
  if (!response.ok) throw refusalError(response.code, response.message, peer);
  const outputs: Float32Array[] = [];
  for (let i = 0; i < rows.length; i++) {
    const out = decodeF32(await reader.readFrame(Math.min(MAX_PARTIAL_BYTES, rows[i]! * 4)));
    if (out.length !== rows[i]) {
      throw new InferMalformedError(`Item ${i} has ${out.length} rows; ${rows[i]} were asked for.`);
    }
    if (vectorDigest(out) !== response.digests[i]) {
      throw new InferResponseMismatchError(`Item ${i}'s rows do not match the digest the host signed.`);
    }
    outputs.push(out);
  }
  return { signature: response.signature, digests: [...response.digests], outputs };
}

import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { concatBytes, type Hex } from 'viem';
import { INFERENCE_PROTOCOL_ID } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { BaseError } from '../core/errors.ts';
import { asError } from '../p2p/asError.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { FrameReader } from '../p2p/frames.ts';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  MAX_ACTIVATION_BYTES,
  MAX_INFER_HEADER_BYTES,
  MAX_PARTIAL_BYTES,
  MAX_PARTS_PER_REQUEST,
} from './constants.ts';
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
  type PlanFlags,
  parseJsonFrame,
  parseResponseHeader,
  type RequestPart,
  refusalError,
} from './wire.ts';

/** Where a host is: its peer id (known to the peer store) or its multiaddr(s). */
export type HostPeer = PeerId | Multiaddr | Multiaddr[];

/** One session's part for a host: the part (its auth left out once the host served the session), the input rows per item, and the output values expected per item. */
export type PartCall = {
  readonly part: RequestPart;
  readonly inputs: readonly Float32Array[];
  readonly outputLengths: readonly number[];
};

/** A host's answer to one part: per item its digest and output (checked to match), and a signature when sealed. */
export type PartAnswer = { signature: Hex | null; digests: Hex[]; outputs: Float32Array[] };

/** Sessions a link remembers as served by its host; a gateway's link lives as long as the gateway. */
const MAX_ADMITTED_SESSIONS = 4096;

type Pending = { call: PartCall; resolve: (a: PartAnswer) => void; reject: (e: unknown) => void };

/**
 * The gateway's one stream to one host, shared by all its sessions
 * (continuous batching): parts submitted while a message is in flight wait,
 * and go together in the next message — one round trip and one matrix product
 * per shard for all of them. A part submitted while the link is idle leaves
 * at the next turn of the event loop, with whatever else was submitted in the
 * same turn. Each frame's size is checked before it is read; every output
 * must hash to the digest the host gave. A failed message aborts the stream
 * (the next dials again) and rejects each of its parts with a named error
 * (InferTimeoutError, InferTransportError, InferResponseMismatchError,
 * InferMalformedError); a part the host refused rejects alone with the
 * refusal's error class. A stream the host has ended (it closes streams left
 * idle) is not reused: the next message dials again. The querier's auth is
 * sent with a session's parts until the host has answered one.
 */
export class HostLink {
  readonly #host: ConcordHost;
  readonly #peer: HostPeer;
  readonly #model: Hex;
  readonly #plan: PlanFlags | undefined;
  readonly #timeoutMs: number;
  readonly #queue: Pending[] = [];
  /** Sessions the host has answered (their auth is not sent again), the most recent MAX_ADMITTED_SESSIONS. */
  readonly #served = new Set<Hex>();
  #open: { stream: Stream; reader: FrameReader } | undefined;
  #busy = false;
  #scheduled = false;

  /** No stream is opened until the first part. */
  constructor(
    host: ConcordHost,
    peer: HostPeer,
    model: Hex,
    options: { timeoutMs?: number; plan?: PlanFlags } = {},
  ) {
    this.#host = host;
    this.#peer = peer;
    this.#model = model;
    this.#plan = options.plan;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** Queues one part for the next message to the host; resolves to the host's answer to it. */
  submit(call: PartCall): Promise<PartAnswer> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ call, resolve, reject });
      this.#schedule();
    });
  }

  /** Closes the stream (the host sees the end and stops waiting); queued parts still go, on a new stream. */
  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    await open?.stream.close().catch((err: unknown) => open.stream.abort(asError(err)));
  }

  /** Remembers that the host served `session`; the oldest is forgotten beyond the bound (its auth is then just sent again). */
  #admitted(session: Hex): void {
    this.#served.delete(session);
    this.#served.add(session);
    if (this.#served.size > MAX_ADMITTED_SESSIONS)
      this.#served.delete(this.#served.values().next().value as Hex);
  }

  #schedule(): void {
    if (this.#busy || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#busy || this.#queue.length === 0) return;
    this.#busy = true;
    const batch = this.#take();
    try {
      const answers = await this.#send(batch.map((p) => p.call));
      batch.forEach((p, i) => {
        const a = answers[i]!;
        if (a instanceof Error) p.reject(a);
        else {
          this.#admitted(p.call.part.session);
          p.resolve(a);
        }
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.#busy = false;
      this.#schedule();
    }
  }

  /** The next message's parts: in submission order, bounded in count and input bytes. */
  #take(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.#queue.length > 0 && batch.length < MAX_PARTS_PER_REQUEST) {
      const next = this.#queue[0]!;
      const size = next.call.inputs.reduce((n, x) => n + x.byteLength, 0);
      if (batch.length > 0 && bytes + size > MAX_ACTIVATION_BYTES) break;
      batch.push(this.#queue.shift()!);
      bytes += size;
    }
    return batch;
  }

  async #send(calls: readonly PartCall[]): Promise<Array<PartAnswer | Error>> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let stream: Stream | undefined;
    const onAbort = () => stream?.abort(new InferTimeoutError('The inference call timed out.'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A host gives up on a stream left idle longer than its serve timeout: never reuse one it ended.
      if (
        this.#open &&
        (this.#open.stream.status !== 'open' || this.#open.stream.remoteWriteStatus !== 'writable')
      ) {
        this.#open.stream.abort(new InferTransportError('The host ended the inference stream.'));
        this.#open = undefined;
      }
      if (!this.#open) {
        const s = await this.#host.dialProtocol(this.#peer, INFERENCE_PROTOCOL_ID, { signal });
        this.#open = { stream: s, reader: new FrameReader(s) };
      }
      stream = this.#open.stream;
      return await this.#exchange(this.#open, calls, signal);
    } catch (err) {
      const open = this.#open;
      this.#open = undefined;
      open?.stream.abort(asError(err));
      if (signal.aborted) {
        throw new InferTimeoutError(`The host did not answer within ${this.#timeoutMs} ms.`, {
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

  async #exchange(
    { stream, reader }: { stream: Stream; reader: FrameReader },
    calls: readonly PartCall[],
    signal: AbortSignal,
  ): Promise<Array<PartAnswer | Error>> {
    const parts = calls.map(({ part }) => ({
      ...part,
      auth: this.#served.has(part.session) ? null : part.auth,
    }));
    const frames = calls.flatMap((c) => c.inputs.map(f32Frame));
    // One write per message: fewer Yamux frames and Noise messages than one per frame.
    if (
      !stream.send(
        concatBytes([jsonFrame(headerJson({ model: this.#model, plan: this.#plan, parts })), ...frames]),
      )
    )
      await stream.onDrain({ signal });
    const peer = String(this.#peer);
    const response = parseResponseHeader(
      parseJsonFrame(await reader.readFrame(MAX_INFER_HEADER_BYTES)),
      calls.map((c) => ({ items: c.part.items.length, seal: c.part.seal })),
    );
    if (!response.ok) throw refusalError(response.code, response.message, peer);
    const answers: Array<PartAnswer | Error> = [];
    for (const [p, answer] of response.parts.entries()) {
      if (!answer.ok) {
        answers.push(refusalError(answer.code, answer.message, peer));
        continue;
      }
      const outputs: Float32Array[] = [];
      for (const [i, length] of calls[p]!.outputLengths.entries()) {
        const out = decodeF32(await reader.readFrame(Math.min(MAX_PARTIAL_BYTES, length * 4)));
        if (out.length !== length) {
          throw new InferMalformedError(`An output of ${out.length} values; ${length} were asked for.`);
        }
        if (vectorDigest(out) !== answer.digests[i]) {
          throw new InferResponseMismatchError('An output does not match the digest the host gave.');
        }
        outputs.push(out);
      }
      answers.push({ signature: answer.signature, digests: [...answer.digests], outputs });
    }
    return answers;
  }
}

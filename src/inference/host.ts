import type { Stream } from '@libp2p/interface';
import { concatBytes, type Hex, type LocalAccount } from 'viem';
import { sessionIdOf } from '../chain/inferenceRequest.ts';
import {
  INFERENCE_PROTOCOL_ID,
  type InferenceDomain,
  type StatementItem,
  signStatement,
} from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { allocBuffer, freeBuffer, type Placement } from '../model/index.ts';
import { asError } from '../p2p/asError.ts';
import { sendAll } from '../p2p/blobServer.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { FrameTooLargeError } from '../p2p/errors.ts';
import { FrameReader } from '../p2p/frames.ts';
import { assertFiniteF32, isKernelResident, linear, wasmAvailable } from '../tensor/index.ts';
import type { SessionAdmission } from './admission.ts';
import {
  DEFAULT_SERVE_TIMEOUT_MS,
  MAX_ACTIVATION_BYTES,
  MAX_INBOUND_INFER_STREAMS,
  MAX_INFER_HEADER_BYTES,
  MAX_TRACKED_SESSIONS,
  MAX_UNSEALED_ITEMS,
} from './constants.ts';
import { InferMalformedError, InferMessageTooLargeError } from './errors.ts';
import { checkHostedShard, type HostedShard, shardKey } from './hostedShards.ts';
import {
  decodeF32,
  f32Frame,
  INFER_ERROR_CLASSES,
  type InferErrorCode,
  jsonFrame,
  parseJsonFrame,
  parseRequestHeader,
  type RequestHeader,
} from './wire.ts';

/** What an inference host needs: its EVM signer, the chain of its signatures and the shards it holds. */
export type InferenceHostInit = {
  /** Where the signatures count: chain id and, for on-chain settlement, the InferenceSettlement address. */
  domain: InferenceDomain;
  /** The host's EVM key (any viem LocalAccount fits). */
  signer: Pick<LocalAccount, 'address' | 'signTypedData'>;
  /** Digest of the model version the shards are cut from; requests for another version are refused. */
  model: Hex;
  /**
   * Decides whether a new session is served: nodes require a valid querier
   * request whose deposit for the gateway covers it (src/node/inference/hostAdmission.ts).
   */
  admit: SessionAdmission;
  shards: readonly HostedShard[];
  /** Time one request may take; default 30 s. */
  timeoutMs?: number;
  /** Largest activation vector accepted, in bytes; default 4 MiB. */
  maxActivationBytes?: number;
  /** Concurrent inbound streams per connection; default 16. */
  maxInboundStreams?: number;
  /**
   * Where the shards' weights are read from. `'kernel'` (default): on start,
   * every shard weight not already in the kernels' WebAssembly memory is
   * copied there, so the kernel reads it in place instead of staging the
   * whole shard on every request (about 2× faster on memory-bound products;
   * the copies are freed on stop, and a full kernel memory falls back to the
   * given arrays). `'js'`: serve the given arrays as they are. Never changes
   * the bits of an answer.
   */
  placement?: Placement;
};

/** Counters of what a host did. */
export type InferenceHostStats = {
  served: number;
  items: number;
  refused: Record<string, number>;
  failed: number;
  /** CPU time spent in the kernel, and in hashing plus signing answers. */
  computeMs: number;
  signMs: number;
};

/**
 * The host side of `/concord/infer/1.0.0`. A gateway keeps one stream open
 * per session and sends one request per step; for each, the host reads a
 * size-limited header, refuses unknown shards and replayed steps, reads each
 * item's activations (size checked before reading, NaN/Inf refused), computes
 * the shard's rows with the `linear` kernel (so they are the exact bits of the
 * full product's rows), and answers the rows with their digests. A session
 * it has not served is first admitted (`admit`: a valid, funded querier
 * request whose session id is the header's). On a sealing request it adds one
 * EIP-712 signature over (session, [step, layer, matrix, shard, input, digest]...)
 * of every item since its last signature, `input` the digest of the
 * activations it was given.
 */
export class InferenceHost {
  readonly stats: InferenceHostStats = {
    served: 0,
    items: 0,
    refused: {},
    failed: 0,
    computeMs: 0,
    signMs: 0,
  };
  readonly #host: ConcordHost;
  readonly #init: InferenceHostInit;
  /** The shards served, by key: the given ones, or their kernel-memory copies while started. */
  readonly #shards = new Map<string, HostedShard>();
  /** Kernel-memory copies made on start, freed on stop. */
  readonly #copies: Float32Array[] = [];
  /** Per session: the last step answered and the items not yet signed (insertion order = age, for the bound). */
  readonly #sessions = new Map<Hex, { lastStep: number; unsealed: StatementItem[] }>();

  /** Call `start` to begin serving. */
  constructor(host: ConcordHost, init: InferenceHostInit) {
    this.#host = host;
    this.#init = init;
    for (const s of init.shards) {
      checkHostedShard(s);
      this.#shards.set(shardKey(s.layer, s.matrix, s.shard), s);
    }
  }

  /** The EVM address that signs this host's answers. */
  get address() {
    return this.#init.signer.address;
  }

  /** Places the shards' weights (see `placement`) and registers the protocol handler. */
  async start(): Promise<void> {
    if ((this.#init.placement ?? 'kernel') === 'kernel') this.#placeInKernelMemory();
    await this.#host.handle(INFERENCE_PROTOCOL_ID, (stream) => this.#handle(stream), {
      maxInboundStreams: this.#init.maxInboundStreams ?? MAX_INBOUND_INFER_STREAMS,
    });
  }

  /**
   * Unregisters the handler and frees the kernel-memory copies; a request
   * still in flight computes from the given arrays (same bits).
   */
  async stop(): Promise<void> {
    await this.#host.unhandle(INFERENCE_PROTOCOL_ID);
    for (const s of this.#init.shards) this.#shards.set(shardKey(s.layer, s.matrix, s.shard), s);
    for (const copy of this.#copies.splice(0)) freeBuffer(copy);
  }

  /** Serves each shard whose weight is not in kernel memory from a copy there (while it fits). */
  #placeInKernelMemory(): void {
    if (!wasmAvailable || this.#copies.length > 0) return;
    for (const s of this.#init.shards) {
      if (isKernelResident(s.weight)) continue;
      const copy = allocBuffer(s.weight.length, 'kernel');
      if (!isKernelResident(copy)) return; // kernel memory is full: the rest stay on the JS heap
      copy.set(s.weight);
      this.#copies.push(copy);
      this.#shards.set(shardKey(s.layer, s.matrix, s.shard), { ...s, weight: copy });
    }
  }

  /** Answers requests on one stream until the gateway closes it, a request fails, or the stream idles out. */
  async #handle(stream: Stream): Promise<void> {
    const reader = new FrameReader(stream);
    const timeoutMs = this.#init.timeoutMs ?? DEFAULT_SERVE_TIMEOUT_MS;
    for (let open = true; open; ) {
      const signal = AbortSignal.timeout(timeoutMs);
      const onTimeout = () => stream.abort(new Error(`no complete inference request within ${timeoutMs} ms`));
      signal.addEventListener('abort', onTimeout, { once: true });
      try {
        open = await this.#serveOne(stream, reader, signal);
      } catch (err) {
        open = false;
        const code = refusalCode(err);
        if (code === undefined) {
          this.stats.failed++;
          stream.abort(asError(err));
        } else {
          this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1;
          await this.#refuse(stream, code, err as Error, signal);
        }
      } finally {
        signal.removeEventListener('abort', onTimeout);
      }
    }
  }

  /** Serves the next request on the stream; false when the gateway has closed it. */
  async #serveOne(stream: Stream, reader: FrameReader, signal: AbortSignal): Promise<boolean> {
    let frame: Uint8Array;
    try {
      frame = await reader.readFrame(MAX_INFER_HEADER_BYTES);
    } catch (err) {
      if (err instanceof FrameTooLargeError) throw new InferMessageTooLargeError(err.shortMessage);
      await stream.close({ signal }).catch(() => undefined); // the gateway is done (or went away)
      return false;
    }
    const header = parseRequestHeader(parseJsonFrame(frame));
    if (!this.#sessions.has(header.session)) await this.#authorize(header);
    const state = this.#admit(header);
    const inputs: Float32Array[] = [];
    for (const item of header.items) inputs.push(await this.#readActivations(reader, item));
    const computeStart = performance.now();
    const outputs = header.items.map((item, i) => this.#compute(item, inputs[i]!));
    const signStart = performance.now();
    this.stats.computeMs += signStart - computeStart;
    const digests = outputs.map(vectorDigest);
    for (const [i, item] of header.items.entries()) {
      state.unsealed.push({
        step: header.step,
        ...item,
        input: vectorDigest(inputs[i]!),
        digest: digests[i]!,
      });
    }
    let signing: Promise<Hex> | null = null;
    if (header.seal) {
      const items = state.unsealed;
      state.unsealed = [];
      signing = signStatement(this.#init.signer, { session: header.session, items }, this.#init.domain);
    }
    // viem hashes and signs synchronously inside the call, so this is the CPU time, not time spent waiting.
    this.stats.signMs += performance.now() - signStart;
    const signature = signing === null ? null : await signing;
    await sendAll(
      stream,
      concatBytes([jsonFrame({ ok: true, signature, digests }), ...outputs.map(f32Frame)]),
      signal,
    );
    this.stats.served++;
    this.stats.items += outputs.length;
    return true;
  }

  /**
   * Admits a session this host has not served: the header's `auth` must be
   * the request of its session id, and the admission policy must accept it.
   */
  async #authorize(header: RequestHeader): Promise<void> {
    if (header.auth !== null && sessionIdOf(header.auth.request).toLowerCase() !== header.session) {
      throw new INFER_ERROR_CLASSES.UNAUTHORIZED('the request in auth is not the session’s');
    }
    await this.#init.admit(header.auth, header.session);
  }

  /**
   * Checks a parsed header — every shard is hosted, the step is newer than any
   * answered in its session, the unsigned backlog stays bounded — and returns
   * the session's state with the step recorded.
   */
  #admit(header: RequestHeader): { lastStep: number; unsealed: StatementItem[] } {
    if (header.model !== this.#init.model.toLowerCase()) {
      throw new INFER_ERROR_CLASSES.NOT_HOSTED(
        `this host serves model version ${this.#init.model}, not ${header.model}`,
      );
    }
    for (const item of header.items) {
      if (!this.#shards.has(shardKey(item.layer, item.matrix, item.shard))) {
        throw new INFER_ERROR_CLASSES.NOT_HOSTED(
          `this host does not serve shard ${shardKey(item.layer, item.matrix, item.shard)}`,
        );
      }
    }
    const state = this.#sessions.get(header.session) ?? { lastStep: -1, unsealed: [] };
    if (header.step <= state.lastStep) {
      throw new INFER_ERROR_CLASSES.REPLAYED(
        `step ${header.step} is not after step ${state.lastStep} of this session`,
      );
    }
    if (state.unsealed.length + header.items.length > MAX_UNSEALED_ITEMS) {
      throw new INFER_ERROR_CLASSES.TOO_LARGE(
        `more than ${MAX_UNSEALED_ITEMS} unsigned items; seal more often`,
      );
    }
    state.lastStep = header.step;
    this.#sessions.delete(header.session);
    this.#sessions.set(header.session, state);
    if (this.#sessions.size > MAX_TRACKED_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value as Hex);
    }
    return state;
  }

  async #readActivations(reader: FrameReader, item: RequestHeader['items'][number]): Promise<Float32Array> {
    const shard = this.#shards.get(shardKey(item.layer, item.matrix, item.shard))!;
    const limit = Math.min(this.#init.maxActivationBytes ?? MAX_ACTIVATION_BYTES, shard.inDim * 4);
    const x = decodeF32(await readLimited(reader, limit));
    if (x.length !== shard.inDim) {
      throw new InferMalformedError(`activations of length ${x.length}; the shard takes ${shard.inDim}`);
    }
    try {
      assertFiniteF32(x);
    } catch (cause) {
      throw new InferMalformedError('activations hold NaN or Inf', { cause });
    }
    return x;
  }

  #compute(item: RequestHeader['items'][number], x: Float32Array): Float32Array {
    const s = this.#shards.get(shardKey(item.layer, item.matrix, item.shard))!;
    const out = new Float32Array(s.rows); // (rows)
    linear(x, s.weight, s.bias, 1, s.inDim, s.rows, out); // each row one canonical dot (+ bias)
    return out;
  }

  async #refuse(stream: Stream, code: InferErrorCode, err: Error, signal: AbortSignal): Promise<void> {
    try {
      const message = 'shortMessage' in err ? String(err.shortMessage) : err.message;
      await sendAll(stream, jsonFrame({ ok: false, code, message: message.slice(0, 200) }), signal);
      await stream.close({ signal });
    } catch (closeErr) {
      stream.abort(asError(closeErr));
    }
  }
}

/** Reads one frame, turning the framing errors into the protocol's named errors. */
async function readLimited(reader: FrameReader, maxBytes: number): Promise<Uint8Array> {
  try {
    return await reader.readFrame(maxBytes);
  } catch (err) {
    if (err instanceof FrameTooLargeError) throw new InferMessageTooLargeError(err.shortMessage);
    throw new InferMalformedError('the request ended in the middle of a frame', { cause: err });
  }
}

/** The wire code of an error the host answers with, or undefined for an internal failure. */
function refusalCode(err: unknown): InferErrorCode | undefined {
  for (const [code, cls] of Object.entries(INFER_ERROR_CLASSES)) {
    if (cls !== INFER_ERROR_CLASSES.FAILED && err instanceof cls) return code as InferErrorCode;
  }
  return undefined;
}

/** Creates and starts an inference host on `host`. */
export async function serveInference(host: ConcordHost, init: InferenceHostInit): Promise<InferenceHost> {
  const server = new InferenceHost(host, init);
  await server.start();
  return server;
}

import type { Stream } from '@libp2p/interface';
import { concatBytes, type Hex } from 'viem';
import { sessionIdOf } from '../chain/inferenceRequest.ts';
import {
  INFERENCE_PROTOCOL_ID,
  type InferenceDomain,
  type StatementSigner,
  signStatement,
} from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import type { GptConfig } from '../model/index.ts';
import { asError } from '../p2p/asError.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { FrameTooLargeError } from '../p2p/errors.ts';
import { FrameReader } from '../p2p/frames.ts';
import { sendAll } from '../p2p/requestGate.ts';
import { assertFiniteF32 } from '../tensor/index.ts';
import type { SessionAdmission } from './admission.ts';
import {
  DEFAULT_SERVE_TIMEOUT_MS,
  MAX_ACTIVATION_BYTES,
  MAX_INBOUND_INFER_STREAMS,
  MAX_INFER_HEADER_BYTES,
  MAX_UNSEALED_ITEMS,
} from './constants.ts';
import { InferMalformedError, InferMessageTooLargeError } from './errors.ts';
import { exchangeShardKey } from './exchange.ts';
import { checkHosted, computeAttention, computeStacked, type PartWork } from './hostCompute.ts';
import { HostSessions } from './hostSessions.ts';
import {
  checkExchangeShard,
  type ExchangeShardWeights,
  type PlacedShard,
  placeShardInKernelMemory,
} from './shards/weights.ts';
import {
  decodeF32,
  f32Frame,
  INFER_ERROR_CLASSES,
  type InferErrorCode,
  jsonFrame,
  type PlanFlags,
  parseJsonFrame,
  parseRequestHeader,
  planFlagsDiffer,
  type RequestPart,
  type ResponsePart,
} from './wire.ts';

/** What an inference host needs: its EVM signer, the chain of its signatures and the shards it holds. */
export type InferenceHostInit = {
  /** Where the signatures count: chain id and, for on-chain settlement, the InferenceSettlement address. */
  domain: InferenceDomain;
  /** The host's EVM key (any viem LocalAccount fits). */
  signer: StatementSigner;
  /** Digest of the model version the shards are cut from; requests for another version are refused. */
  model: Hex;
  /** The parameters this host planned the version with; a gateway that planned with others is refused (PLAN_MISMATCH). */
  plan?: PlanFlags | undefined;
  /** The model's shape: input width (dModel) and the context length an attention cache holds. */
  config: Pick<GptConfig, 'dModel' | 'contextLength'>;
  /**
   * Decides whether a new session is served: nodes require a valid querier
   * request whose deposit for the gateway covers it (src/node/inference/hostAdmission.ts).
   */
  admit: SessionAdmission;
  shards: readonly ExchangeShardWeights[];
  /** Time one request may take; default 30 s. */
  timeoutMs?: number;
  /** Largest input of one message, in bytes; default 64 MiB. */
  maxActivationBytes?: number;
  /** Concurrent inbound streams per connection; default 16 (a gateway needs one). */
  maxInboundStreams?: number;
  /** Sessions whose attention caches are kept, and how the host tells time (see HostSessions). */
  sessions?: HostSessions;
  /**
   * Where the shards' weights are read from. `'kernel'` (default): on start,
   * every shard's weights are copied into the kernels' WebAssembly memory, so
   * the kernel reads them in place instead of staging them on every request
   * (about 2× faster on memory-bound products; freed on stop, and a full
   * kernel memory falls back to the given arrays). `'js'`: serve the given
   * arrays as they are. Never changes the bits of an answer.
   */
  placement?: 'js' | 'kernel';
};

/** Counters of what a host did. */
export type InferenceHostStats = {
  /** Messages answered, and session parts and items in them. */
  served: number;
  parts: number;
  items: number;
  refused: Record<string, number>;
  failed: number;
  /** CPU time spent in the kernels, and in hashing plus signing answers. */
  computeMs: number;
  signMs: number;
};

/**
 * The host side of `/concord/infer/1.0.0` (second version). A gateway keeps
 * one stream open to a host for all its sessions and sends one message per
 * round, with one part per session; for each message the host reads a
 * size-limited header, admits each part (a session it has not served needs a
 * valid, funded querier request; the shards must be hosted; the step must be
 * newer than the session's last; the attention windows must fit its caches),
 * reads every item's input rows (sizes checked before reading, NaN/Inf
 * refused), computes — each session's attention on its own KV cache, the MLP
 * and head items of all sessions stacked into one product per shard — and
 * answers each part with its outputs and their digests, or the part's
 * refusal. On a sealing part it adds one EIP-712 signature over
 * (session, [step, layer, matrix, shard, input, digest]...) of every item of
 * that session since its last signature; `input` binds the rows the answer
 * depends on (for attention, the chain of the whole window: InputChain).
 */
export class InferenceHost {
  readonly stats: InferenceHostStats = {
    served: 0,
    parts: 0,
    items: 0,
    refused: {},
    failed: 0,
    computeMs: 0,
    signMs: 0,
  };
  readonly #host: ConcordHost;
  readonly #init: InferenceHostInit;
  readonly #sessions: HostSessions;
  /** The shards served, by key: the given ones, or their kernel-memory copies while started. */
  readonly #shards = new Map<string, ExchangeShardWeights>();
  /** Kernel-memory copies made on start, freed on stop. */
  #placed: PlacedShard<ExchangeShardWeights>[] = [];

  /** Call `start` to begin serving. */
  constructor(host: ConcordHost, init: InferenceHostInit) {
    this.#host = host;
    this.#init = init;
    this.#sessions = init.sessions ?? new HostSessions();
    for (const s of init.shards) {
      checkExchangeShard(s);
      this.#shards.set(keyOf(s), s);
    }
  }

  /** The EVM address that signs this host's answers. */
  get address() {
    return this.#init.signer.address;
  }

  /** Places the shards' weights (see `placement`) and registers the protocol handler. */
  async start(): Promise<void> {
    if ((this.#init.placement ?? 'kernel') === 'kernel' && this.#placed.length === 0) {
      this.#placed = this.#init.shards.map(placeShardInKernelMemory);
      for (const p of this.#placed) this.#shards.set(keyOf(p.weights), p.weights);
    }
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
    for (const s of this.#init.shards) this.#shards.set(keyOf(s), s);
    for (const p of this.#placed.splice(0)) p.free();
  }

  /** Answers messages on one stream until the gateway closes it, a message fails, or the stream idles out. */
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
          this.#count(code);
          await this.#refuse(stream, code, err as Error, signal);
        }
      } finally {
        signal.removeEventListener('abort', onTimeout);
      }
    }
  }

  /** Serves the next message on the stream; false when the gateway has closed it. */
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
    if (header.model !== this.#init.model.toLowerCase()) {
      throw new INFER_ERROR_CLASSES.NOT_HOSTED(
        `this host serves model version ${this.#init.model}, not ${header.model}`,
      );
    }
    const differ = header.plan && this.#init.plan ? planFlagsDiffer(this.#init.plan, header.plan) : undefined;
    if (differ !== undefined) {
      throw new INFER_ERROR_CLASSES.PLAN_MISMATCH(`nodes disagree on the shard plan: ${differ}`);
    }
    const width = this.#init.config.dModel;
    const total = header.parts.reduce((n, p) => n + p.items.reduce((m, i) => m + i.rows * width * 4, 0), 0);
    const limit = this.#init.maxActivationBytes ?? MAX_ACTIVATION_BYTES;
    if (total > limit) throw new InferMessageTooLargeError(`${total} bytes of inputs; the limit is ${limit}`);
    const inputs: Float32Array[][] = [];
    for (const part of header.parts) {
      const list: Float32Array[] = [];
      for (const item of part.items) list.push(await readRows(reader, item.rows, width));
      inputs.push(list);
    }
    const computeStart = performance.now();
    const answers: Array<ResponsePart | PartWork> = [];
    for (const [p, part] of header.parts.entries()) answers.push(await this.#admitPart(part, inputs[p]!));
    const work = answers.filter((a): a is PartWork => 'part' in a);
    computeStacked(work, this.#shards);
    const signStart = performance.now();
    this.stats.computeMs += signStart - computeStart;
    const signing = answers.map((a) => ('part' in a ? this.#answer(a) : a));
    // viem hashes and signs synchronously inside the call, so this is the CPU time, not time spent waiting.
    this.stats.signMs += performance.now() - signStart;
    const parts = await Promise.all(signing);
    const outputs = work.flatMap((w) => w.outputs);
    await sendAll(stream, concatBytes([jsonFrame({ ok: true, parts }), ...outputs.map(f32Frame)]), signal);
    this.stats.served++;
    this.stats.parts += work.length;
    this.stats.items += outputs.length;
    return true;
  }

  /**
   * Admits one session's part — auth for a session not served before, hosted
   * shards, finite inputs, a step after the session's last, a bounded
   * unsigned backlog — and computes its attention items (parts in message
   * order, so one session's steps apply to its caches in order). A refusal
   * answers the part alone.
   */
  async #admitPart(part: RequestPart, inputs: readonly Float32Array[]): Promise<ResponsePart | PartWork> {
    try {
      if (!this.#sessions.has(part.session)) await this.#authorize(part);
      checkHosted(part, this.#shards);
      for (const x of inputs) {
        try {
          assertFiniteF32(x);
        } catch (cause) {
          throw new InferMalformedError('activations hold NaN or Inf', { cause });
        }
      }
      const state = this.#sessions.get(part.session);
      if (part.step <= state.lastStep) {
        throw new INFER_ERROR_CLASSES.REPLAYED(
          `step ${part.step} is not after step ${state.lastStep} of this session`,
        );
      }
      if (state.unsealed.length + part.items.length > MAX_UNSEALED_ITEMS) {
        throw new INFER_ERROR_CLASSES.TOO_LARGE(
          `more than ${MAX_UNSEALED_ITEMS} unsigned items; seal more often`,
        );
      }
      state.lastStep = part.step;
      const work: PartWork = { part, inputs, outputs: [], inputDigests: [] };
      computeAttention(work, this.#shards, this.#sessions, this.#init.config.contextLength);
      return work;
    } catch (err) {
      const code = refusalCode(err);
      if (code === undefined) throw err;
      this.#count(code);
      return { ok: false, code, message: messageOf(err as Error) };
    }
  }

  /** The answer of a computed part: digests, the items recorded unsigned, and a signature when sealing. */
  async #answer(w: PartWork): Promise<ResponsePart> {
    const { part } = w;
    const state = this.#sessions.get(part.session);
    const digests = w.outputs.map(vectorDigest);
    part.items.forEach((item, i) => {
      state.unsealed.push({
        step: part.step,
        layer: item.layer,
        matrix: item.matrix,
        shard: item.shard,
        input: w.inputDigests[i]!,
        digest: digests[i]!,
      });
    });
    if (!part.seal) return { ok: true, signature: null, digests };
    const items = state.unsealed;
    state.unsealed = [];
    const signature = await signStatement(
      this.#init.signer,
      { session: part.session, items },
      this.#init.domain,
    );
    return { ok: true, signature, digests };
  }

  /**
   * Admits a session this host has not served: the part's `auth` must be the
   * request of its session id, and the admission policy must accept it.
   */
  async #authorize(part: RequestPart): Promise<void> {
    if (part.auth !== null && sessionIdOf(part.auth.request).toLowerCase() !== part.session) {
      throw new INFER_ERROR_CLASSES.UNAUTHORIZED('the request in auth is not the session’s');
    }
    await this.#init.admit(part.auth, part.session);
  }

  #count(code: InferErrorCode): void {
    this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1;
  }

  async #refuse(stream: Stream, code: InferErrorCode, err: Error, signal: AbortSignal): Promise<void> {
    try {
      await sendAll(stream, jsonFrame({ ok: false, code, message: messageOf(err) }), signal);
      await stream.close({ signal });
    } catch (closeErr) {
      stream.abort(asError(closeErr));
    }
  }
}

function keyOf(s: ExchangeShardWeights): string {
  return exchangeShardKey(s.kind === 'lm_head' ? -1 : s.layer, s.kind, s.shard);
}

function messageOf(err: Error): string {
  return ('shortMessage' in err ? String(err.shortMessage) : err.message).slice(0, 200);
}

/** Reads one item's rows (its size known from the header, checked before reading). */
async function readRows(reader: FrameReader, rows: number, width: number): Promise<Float32Array> {
  let payload: Uint8Array;
  try {
    payload = await reader.readFrame(rows * width * 4);
  } catch (err) {
    if (err instanceof FrameTooLargeError) throw new InferMessageTooLargeError(err.shortMessage);
    throw new InferMalformedError('the request ended in the middle of a frame', { cause: err });
  }
  const x = decodeF32(payload);
  if (x.length !== rows * width) {
    throw new InferMalformedError(`an item of ${x.length} values; ${rows} rows of ${width} were announced`);
  }
  return x;
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

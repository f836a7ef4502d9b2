import { type Address, bytesToHex, getAddress, type Hex } from 'viem';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import type { InferenceDomain, StatementItem } from '../chain/inferenceStatement.ts';
import { isBytes32 } from '../core/bytes32.ts';
import { BaseError } from '../core/errors.ts';
import type { GptParams, Tokenizer } from '../model/index.ts';
import { TokenTextStream } from '../model/index.ts';
import type { SessionAuth } from './admission.ts';
import { AttnHistory } from './attnHistory.ts';
import { Decoder, decodeTokens } from './decoder.ts';
import { embedTokens } from './embedding.ts';
import {
  InferCacheMissingError,
  InferMalformedError,
  InferResponseMismatchError,
  InferShardNotHostedError,
  InferSignatureError,
  InferTimeoutError,
  InferTransportError,
  SessionIdInvalidError,
  SessionRequestMismatchError,
} from './errors.ts';
import type { ExchangeRequest } from './exchange.ts';
import { type ExchangeContext, runExchange, type ShardVote } from './exchangeRound.ts';
import type { HostHealth } from './hostHealth.ts';
import type { HostLink, PartAnswer } from './hostLink.ts';
import type { InferenceMetrics } from './metrics.ts';
import type { ShardAssignment, ShardPlan } from './planner.ts';
import type { SessionReceipt } from './receipt.ts';
import { ShardRoster } from './roster.ts';
import type { SessionSettlement } from './settlement.ts';
import type { ConsensusMode } from './shardDecision.ts';
import { type DraftModel, type SpeculateOptions, speculativeDecode } from './speculate.ts';
import { VoteLedger } from './voteLedger.ts';
import type { RequestItem } from './wire.ts';

/**
 * When host signatures are checked: on every signed answer (a bad one counts
 * as a failed call), or once when the receipt is built (the transport already
 * authenticates the peer; the signatures are for third parties).
 */
export type SignatureCheck = 'each-response' | 'at-receipt';

/**
 * How often hosts sign: every answer, or per token — once every
 * `sealTokens` tokens per host, over everything it answered since its last
 * signature (one secp256k1 signature instead of one per exchange; answers
 * are used as they arrive over the authenticated stream, the signature is
 * asked without waiting for it, and a host that then refuses to sign them is
 * failed).
 */
export type SealEvery = 'response' | 'token';

/** How a session reaches hosts and decides; built by `InferenceGateway`. */
export type SessionConfig = {
  readonly domain: InferenceDomain;
  readonly plan: ShardPlan;
  readonly params: GptParams;
  /** The gateway's link to a host (shared by its sessions: their parts travel together). */
  readonly link: (host: Address) => HostLink;
  /** The gateway's memory of failed hosts across sessions. */
  readonly health: HostHealth;
  readonly mode: ConsensusMode;
  readonly signatureCheck: SignatureCheck;
  readonly sealEvery: SealEvery;
  /** With per-token sealing, the tokens between two signatures (the session's last answers are signed at settlement). */
  readonly sealTokens: number;
  readonly tokenizer: Tokenizer | undefined;
  /** One line per failover. */
  readonly log: (line: string) => void;
  /** Where sessions, tokens, their latency and failovers are counted. */
  readonly metrics: InferenceMetrics;
  /** The session id (the gateway passes `sessionIdOf(request)`); random when absent. */
  readonly id?: Hex | undefined;
  /** The querier's signed request, sent to every host (which serve only valid, funded sessions). */
  readonly auth?: SessionAuth | undefined;
};

/** One generated token, as streamed. */
export type TokenEvent = {
  readonly token: number;
  /** The text this token completes ('' while a multi-byte character is pending, or without a tokenizer). */
  readonly text: string;
  /** Every shard decided while computing this token. */
  readonly votes: readonly ShardVote[];
};

/**
 * Options of `InferenceSession.generate`: those of decoding, and optionally a
 * draft model whose proposals the hosts verify, several tokens per pass
 * (speculative decoding: the same tokens with temperature 0, the same
 * distribution when sampling; `draftTokens` and `onRound` apply then).
 */
export type GenerateOptions = SpeculateOptions & { readonly draft?: DraftModel };

/** Counters of a session: host parts sent, and wall time spent checking signatures. */
export type SessionStats = { calls: number; consensusMs: number };

/** A host call that failed, and why (the error's name). */
export type HostFailure = { readonly host: Address; readonly step: number; readonly error: string };

/** Failures that say something about the host (not about the session's funding), so it cools down across sessions. */
const HOST_FAULTS = [
  InferTimeoutError,
  InferTransportError,
  InferResponseMismatchError,
  InferMalformedError,
  InferShardNotHostedError,
];

/**
 * One inference session: decodes tokens (the decode loop, `decodeTokens`)
 * with every exchange decided by the hosts of its shards (`runExchange`),
 * who serves what kept by a `ShardRoster`, and the evidence — answers,
 * signatures, lost answers, tallies — by a `VoteLedger`, from which the
 * receipt and the settlement are built.
 */
export class InferenceSession {
  /** The session id in every request and signature: `sessionIdOf(request)` when the gateway was given one, else 32 random bytes. Lower-case. */
  readonly id: Hex;
  readonly failures: HostFailure[] = [];
  readonly stats: SessionStats = { calls: 0, consensusMs: 0 };
  readonly #config: SessionConfig;
  readonly #roster: ShardRoster;
  readonly #ledger: VoteLedger;
  readonly #context: ExchangeContext;
  readonly #byName = new Map<string, ShardAssignment[]>();
  readonly #stake = new Map<Address, bigint>();
  readonly #histories = new Map<number, AttnHistory>();
  readonly #fed = new Map<string, Set<Address>>();
  readonly #lastStep = new Map<Address, number>();
  readonly #inflight = new Set<Promise<unknown>>();
  /** Hosts that failed a call (not asked to seal any more). */
  readonly #failed = new Set<Address>();
  /** Hosts sent unsealed parts since their last sealing part: those the next seal asks (it covers exactly these parts). */
  readonly #unsealedAsks = new Set<Address>();
  #tokenVotes: ShardVote[] = [];
  #step = 0;
  #tokens = 0;

  /** Use `InferenceGateway.openSession`. Throws SessionIdInvalidError when `config.id` is not 32 bytes of hex. */
  constructor(config: SessionConfig) {
    if (config.id !== undefined && !isBytes32(config.id)) {
      throw new SessionIdInvalidError(`Session id '${config.id}' is not 32 bytes of hex.`, {
        hint: 'Pass sessionIdOf(request), or nothing for a random id.',
      });
    }
    this.id = (config.id ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)))).toLowerCase() as Hex;
    this.#config = config;
    this.#roster = new ShardRoster(config.plan, config.health, (line) =>
      config.log(`session ${this.id.slice(0, 10)}: ${line}`),
    );
    this.#ledger = new VoteLedger(this.id, config.domain);
    for (const s of config.plan.shards) {
      const list = this.#byName.get(s.matrix.name) ?? [];
      list.push(s);
      this.#byName.set(s.matrix.name, list);
    }
    for (const h of config.plan.parameters.hosts) this.#stake.set(getAddress(h.address), h.stake);
    this.#context = this.#exchangeContext();
  }

  /** What an exchange sees of this session. */
  #exchangeContext(): ExchangeContext {
    return {
      roster: this.#roster,
      mode: this.#config.mode,
      dModel: this.#config.params.config.dModel,
      stake: (host) => this.#stake.get(host) ?? 0n,
      nextStep: () => this.#step++,
      lastStep: (host) => this.#lastStep.get(host) ?? -1,
      history: (layer) => {
        let h = this.#histories.get(layer);
        if (!h) {
          h = new AttnHistory(this.#config.params.config.dModel);
          this.#histories.set(layer, h);
        }
        return h;
      },
      markFed: (key, host) => {
        const set = this.#fed.get(key) ?? new Set();
        this.#fed.set(key, set);
        const had = set.has(host);
        set.add(host);
        return had;
      },
      unfed: (key, host) => {
        this.#fed.get(key)?.delete(host);
      },
      ask: (host, step, items, inputs, lengths, statement) =>
        this.#ask(host, step, items, inputs, lengths, statement, false),
      lost: (host, step, s) =>
        this.#ledger.lost(host, { step, layer: s.matrix.layer, matrix: s.matrix.matrix, shard: s.shard }),
      won: (host) => {
        this.#ledger.tally(host).wins++;
      },
      outvoted: (host) => {
        this.#ledger.tally(host).losses++;
        this.#retire(host, 'outvoted');
      },
      vote: (vote) => {
        this.#tokenVotes.push(vote);
      },
    };
  }

  /** The distributed exchange, as a backend for the decode loop. */
  readonly backend = (request: ExchangeRequest): Promise<Float32Array[]> =>
    runExchange(this.#context, this.#byName.get(request.name) ?? [], request);

  /**
   * Streams the continuation of `prompt` token by token, with the votes that
   * decided each (with a draft, a pass's votes come with its first token).
   * Same tokens as local decoding in the plan's order (`decodeTokens`, or
   * `speculativeDecode` on a Decoder with a draft) when the hosts are honest
   * (or outvoted). With `options.onLogits` the draft is not used.
   */
  async *generate(
    prompt: readonly number[],
    options: GenerateOptions,
  ): AsyncGenerator<TokenEvent, void, void> {
    const text = this.#config.tokenizer ? new TokenTextStream(this.#config.tokenizer) : undefined;
    const { params, metrics } = this.#config;
    metrics.sessionStarted();
    let outcome: 'completed' | 'failed' = 'failed';
    let waitingSince = performance.now();
    let first = true;
    try {
      // With `onLogits`, one token per pass: the draft is not used.
      const tokens =
        options.draft && options.onLogits === undefined
          ? speculativeDecode(new Decoder(params, this.backend), options.draft, prompt, options)
          : decodeTokens(params, prompt, this.backend, options);
      for await (const token of tokens) {
        metrics.token((performance.now() - waitingSince) / 1000, first);
        first = false;
        this.#tokens++;
        if (this.#config.sealEvery === 'token' && this.#tokens % this.#config.sealTokens === 0) {
          this.#track(this.seal());
        }
        const votes = this.#tokenVotes;
        this.#tokenVotes = [];
        outcome = 'completed'; // a reader that stops here ends the session without a failure
        yield { token, text: text?.push(token) ?? '', votes };
        outcome = 'failed';
        waitingSince = performance.now();
      }
      outcome = 'completed';
    } finally {
      metrics.sessionEnded(outcome);
    }
  }

  /**
   * The embedding of `tokens` (`embedTokens`: the prefill's final hidden
   * states mean-pooled, no output head) with every exchange decided by the
   * hosts, and the votes that decided them. Bit for bit the local
   * computation in the plan's order when the hosts are honest (or outvoted).
   * Generates no token: a settlement of this session bills none. Several
   * calls in one session each start from an empty window.
   */
  async embed(tokens: readonly number[]): Promise<{ embedding: Float32Array; votes: readonly ShardVote[] }> {
    const embedding = await embedTokens(this.#config.params, tokens, this.backend);
    const votes = this.#tokenVotes;
    this.#tokenVotes = [];
    return { embedding, votes };
  }

  /** Waits for every answer still in flight (slower replicas, signatures asked per token). */
  async close(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /**
   * Asks every host sent unsealed parts since its last signature to sign what
   * it answered (`generate` does it after each token when sealing per token;
   * the seal travels behind parts still in flight on the host's stream, so it
   * covers them too, and a host asked nothing since signs nothing). A host
   * that does not sign exactly what it answered is failed and retired.
   * Outvoted hosts are asked too: their signed losing answers are the
   * evidence that slashes them.
   */
  async seal(): Promise<void> {
    const hosts = [...this.#unsealedAsks].filter((h) => !this.#failed.has(h));
    await Promise.all(hosts.map((h) => this.#ask(h, this.#step++, [], [], [], () => [], true)));
  }

  /** The receipt so far (hosts are asked to sign what they answered since their last signature first); with `at-receipt` checking, a host with a bad signature is recorded as failed and its statement is left out of the root. */
  async receipt(): Promise<SessionReceipt> {
    await this.close();
    await this.seal();
    const votes = await this.#checkedVotes();
    return this.#ledger.receipt(votes, this.#config.plan.parameters.modelDigest, this.#tokens);
  }

  /**
   * What the gateway settles on chain for `request` once generation is over:
   * the receipt (over every signed answer, each item marked won or lost) and
   * one equivocation evidence per outvoted host whose signed losing digest the
   * signed winners of that same item outweigh (exact mode only: in tolerant
   * mode honest digests may differ). Waits for answers in flight and asks
   * hosts to sign any answers still unsigned first. Throws
   * SessionRequestMismatchError when `sessionIdOf(request)` is not this session's id.
   */
  async settlement(request: InferenceRequest): Promise<SessionSettlement> {
    const expected = sessionIdOf(request).toLowerCase();
    if (expected !== this.id) {
      throw new SessionRequestMismatchError(
        `The request's session id ${expected} is not this session's (${this.id}).`,
        {
          hint: 'Open the session with gateway.openSession({ id: sessionIdOf(request) }) and settle that request.',
        },
      );
    }
    await this.close();
    await this.seal();
    const votes = await this.#checkedVotes();
    return this.#ledger.settlement(
      request,
      votes,
      this.#tokens,
      this.#stake,
      this.#config.mode.kind === 'exact',
    );
  }

  async #checkedVotes() {
    const started = performance.now();
    const votes = await this.#ledger.checkedVotes(this.#config.signatureCheck === 'at-receipt', (host) =>
      this.#fail(host, -1, new InferSignatureError('bad signature')),
    );
    this.stats.consensusMs += performance.now() - started;
    return votes;
  }

  /**
   * Sends one part to a host (sealed when asked, or when sealing every
   * answer), records its items as answered and takes its signature. Resolves
   * to the answer; to 'window-lost' when the host refused for lacking the
   * session's attention caches it was asked to keep (it may drop those of idle
   * sessions: not a failure, the exchange sends it the window again; the same
   * refusal of a whole window is a failure); or to undefined after a
   * failure (the host is then failed and retired).
   */
  #ask(
    host: Address,
    step: number,
    items: readonly RequestItem[],
    inputs: readonly Float32Array[],
    outputLengths: readonly number[],
    statement: (answer: PartAnswer) => StatementItem[],
    forceSeal: boolean,
  ): Promise<PartAnswer | 'window-lost' | undefined> {
    this.#lastStep.set(host, step);
    this.stats.calls++;
    const seal = forceSeal || this.#config.sealEvery === 'response';
    if (seal) this.#unsealedAsks.delete(host);
    else this.#unsealedAsks.add(host);
    const call = this.#config
      .link(host)
      .submit({
        part: { session: this.id, step, seal, items, auth: this.#config.auth ?? null },
        inputs,
        outputLengths,
      })
      .then(async (answer) => {
        this.#ledger.answered(host, statement(answer));
        if (answer.signature !== null) {
          const started = performance.now();
          await this.#ledger.sealed(host, answer.signature, this.#config.signatureCheck === 'each-response');
          this.stats.consensusMs += performance.now() - started;
        }
        return answer;
      })
      .catch((err: unknown) => {
        // Only a part that kept cache entries can lack them: a host refusing the whole window so is failed.
        if (err instanceof InferCacheMissingError && items.some((i) => i.keepTo > 0)) {
          return 'window-lost' as const;
        }
        this.#fail(host, step, err);
        return undefined;
      });
    this.#track(call);
    return call;
  }

  #track(p: Promise<unknown>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #fail(host: Address, step: number, err: unknown): void {
    const name = err instanceof BaseError ? err.name : 'Error';
    this.failures.push({ host, step, error: name });
    this.#failed.add(host);
    this.#ledger.tally(host).failures++;
    this.#ledger.dropUnsealed(host); // a failed host's pending answers will not be signed
    if (HOST_FAULTS.some((cls) => err instanceof cls)) this.#config.health.failed(host);
    this.#retire(host, name);
  }

  #retire(host: Address, why: string): void {
    if (this.#roster.retire(host, why)) this.#config.metrics.failover();
  }
}

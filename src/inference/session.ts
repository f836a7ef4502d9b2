import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { type Address, bytesToHex, getAddress, type Hex } from 'viem';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import {
  type InferenceDomain,
  type PartialProductsStatement,
  type SignedStatement,
  type StatementItem,
  verifyStatement,
} from '../chain/inferenceStatement.ts';
import { isBytes32 } from '../core/bytes32.ts';
import { vectorDigest } from '../core/digest.ts';
import { BaseError } from '../core/errors.ts';
import { decideMajority } from '../core/majority.ts';
import { decideTolerant } from '../core/tolerant.ts';
import type { GptParams, LinearRequest, Tokenizer } from '../model/index.ts';
import { TokenTextStream } from '../model/index.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import type { SessionAuth } from './admission.ts';
import { type HostAnswer, HostChannel } from './callHost.ts';
import { type DecodeOptions, decode } from './decode.ts';
import {
  GatewayConfigError,
  InferShardUndecidedError,
  InferSignatureError,
  SessionIdInvalidError,
  SessionRequestMismatchError,
} from './errors.ts';
import type { ShardAssignment, ShardPlan } from './planner.ts';
import { type HostTally, receiptOfVotes, type SessionReceipt } from './receipt.ts';
import { buildSettlement, type SessionSettlement } from './settlement.ts';
import type { RequestItem } from './wire.ts';

/** How a partial product is decided: exact stake-weighted majority of digests, or the largest cluster within epsilon. */
export type ConsensusMode =
  | { readonly kind: 'exact' }
  | { readonly kind: 'tolerant'; readonly epsilon: number };

/**
 * When host signatures are checked: on every response (a bad one counts as a
 * failed call), or once when the receipt is built (the transport already
 * authenticates the peer; the signatures are for third parties).
 */
export type SignatureCheck = 'each-response' | 'at-receipt';

/**
 * How often hosts sign: every response (each answer carries its signature), or
 * once per token per host over everything it answered for that token (one
 * secp256k1 signature instead of one per matrix; answers are used as they
 * arrive over the authenticated stream, and a host that then refuses to sign
 * them is failed).
 */
export type SealEvery = 'response' | 'token';

/** How a session reaches hosts and decides; built by `InferenceGateway`. */
export type SessionConfig = {
  readonly host: ConcordHost;
  readonly domain: InferenceDomain;
  readonly plan: ShardPlan;
  readonly params: GptParams;
  readonly peers: ReadonlyMap<Address, PeerId | Multiaddr | Multiaddr[]>;
  readonly mode: ConsensusMode;
  readonly timeoutMs: number;
  readonly signatureCheck: SignatureCheck;
  readonly sealEvery: SealEvery;
  readonly tokenizer: Tokenizer | undefined;
  /** The session id (the gateway passes `sessionIdOf(request)`); random when absent. */
  readonly id?: Hex | undefined;
  /** The querier's signed request, sent to every host (which serve only valid, funded sessions). */
  readonly auth?: SessionAuth | undefined;
};

/** The outcome of one shard of one matrix product. */
export type ShardVote = {
  readonly name: string;
  readonly shard: number;
  /** Hosts whose answer is the decided result. */
  readonly agreed: readonly Address[];
  /** Hosts whose answer lost; they are replaced for the rest of the session. */
  readonly outvoted: readonly Address[];
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
 * Counters of a session: host calls made, and wall time spent on consensus
 * (deciding votes, checking signatures, and the per-token seal round trips;
 * overlapping checks of one step are summed, so it can overstate).
 */
export type SessionStats = { calls: number; consensusMs: number };

/** A host call that failed, and why (the error's name). */
export type HostFailure = { readonly host: Address; readonly step: number; readonly error: string };

/** The input digest of a seal-only request (it carries no items). */
const ZERO_INPUT: Hex = `0x${'00'.repeat(32)}`;

/** One host's answer for one shard, at the step it was asked. */
type Ballot = { host: Address; step: number; digest: Hex; rows: Float32Array };

/** Names one answered item of one host: whose answer, for which partial product. */
function answerKey(
  host: Address,
  item: { step: number; layer: number; matrix: string; shard: number },
): string {
  return `${host}/${item.step}/${item.layer}/${item.matrix}/${item.shard}`;
}

/**
 * One inference session: generates tokens with every matrix product split by
 * the plan's row shards, each shard asked of its hosts (one message per host
 * per step) and decided by consensus. Hosts that fail or are outvoted are
 * retired for the rest of the session, and a shard left with fewer than a
 * quorum of hosts takes its next standby. Keeps the signed votes, whether each
 * signed item won, and per-host tallies, for the receipt and the settlement.
 *
 * Steps: each matrix product gets one step, and every host asked for it signs
 * that step (the contract's evidence compares answers of one step); a host
 * asked again within the same product (a standby that already answered other
 * shards of it) gets a fresh step, since a host refuses a step not after its
 * last, so a split vote is voted again by all its voters and the standby at
 * one fresh step; seal-only requests get fresh steps.
 */
export class InferenceSession {
  /** The session id in every request and signature: `sessionIdOf(request)` when the gateway was given one, else 32 random bytes. Lower-case. */
  readonly id: Hex;
  readonly failures: HostFailure[] = [];
  readonly stats: SessionStats = { calls: 0, consensusMs: 0 };
  readonly #config: SessionConfig;
  readonly #byName = new Map<string, ShardAssignment[]>();
  readonly #active = new Map<ShardAssignment, Address[]>();
  readonly #standbys = new Map<ShardAssignment, Address[]>();
  readonly #retired = new Set<Address>();
  readonly #stake = new Map<Address, bigint>();
  readonly #tallies = new Map<Address, HostTally>();
  readonly #votes: SignedStatement[] = [];
  /** With `at-receipt` checking: how many of `#votes` (from the start) are verified. */
  #verified = 0;
  readonly #channels = new Map<Address, HostChannel>();
  /** Per host, the items it answered since its last signature (what it must sign next). */
  readonly #unsealed = new Map<Address, StatementItem[]>();
  /**
   * Answers (`answerKey`) whose digest was not the decided one: outvoted, or
   * of a product left undecided. Every other answer won (kept as the
   * exceptions, so a long session does not hold one entry per answer).
   */
  readonly #lost = new Set<string>();
  /** Per host, the last step it was asked (a host refuses a step not after it). */
  readonly #lastStep = new Map<Address, number>();
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
    for (const s of config.plan.shards) {
      const list = this.#byName.get(s.matrix.name) ?? [];
      list.push(s);
      this.#byName.set(s.matrix.name, list);
      this.#active.set(s, [...s.hosts]);
      this.#standbys.set(s, [...s.standbys]);
    }
    for (const h of config.plan.parameters.hosts) this.#stake.set(getAddress(h.address), h.stake);
  }

  /** The distributed matrix product, as a backend for `decode`. */
  readonly backend = (request: LinearRequest): Promise<void> => this.#product(request);

  /**
   * Streams the continuation of `prompt` token by token, with the votes that
   * decided each. Same tokens as local `generate` with `new Rng(seed)` when
   * the hosts are honest (or outvoted).
   */
  async *generate(prompt: readonly number[], options: DecodeOptions): AsyncGenerator<TokenEvent, void, void> {
    const text = this.#config.tokenizer ? new TokenTextStream(this.#config.tokenizer) : undefined;
    try {
      for await (const token of decode(this.#config.params, prompt, this.backend, options)) {
        this.#tokens++;
        if (this.#config.sealEvery === 'token') {
          const started = performance.now();
          await this.seal();
          this.stats.consensusMs += performance.now() - started;
        }
        const votes = this.#tokenVotes;
        this.#tokenVotes = [];
        yield { token, text: text?.push(token) ?? '', votes };
      }
    } finally {
      await this.close();
    }
  }

  /** Closes the streams to the hosts (`generate` does it when it ends); a later call reopens them. */
  async close(): Promise<void> {
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    await Promise.all(channels.map((c) => c.close()));
  }

  /** The receipt so far; with `at-receipt` checking, a host with a bad signature is recorded as failed and its statement is left out of the root. */
  async receipt(): Promise<SessionReceipt> {
    const votes = await this.#checkedVotes();
    return receiptOfVotes({
      session: this.id,
      domain: this.#config.domain,
      modelDigest: this.#config.plan.parameters.modelDigest,
      tokens: this.#tokens,
      tallies: [...this.#tallies.values()],
      votes,
    });
  }

  /**
   * What the gateway settles on chain for `request` once generation is over:
   * the receipt (`buildReceipt` over every signed answer, each item marked won
   * or lost) and one equivocation evidence per outvoted host whose signed
   * losing digest the signed winners of that same item outweigh (exact mode
   * only: in tolerant mode honest digests may differ). Asks hosts to sign any
   * answers still unsigned first, then closes the streams. Throws
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
    await this.seal();
    await this.close();
    const votes = await this.#checkedVotes();
    return buildSettlement({
      request,
      tokens: BigInt(this.#tokens),
      statements: votes.map((v) => ({
        ...v,
        won: v.statement.items.map((item) => !this.#lost.has(answerKey(v.host, item))),
      })),
      domain: this.#config.domain,
      stakes: this.#stake,
      slashable: this.#config.mode.kind === 'exact',
    });
  }

  /**
   * The signed votes; with `at-receipt` checking, verifies those not verified
   * yet, failing the hosts of bad ones and dropping those (once: later calls
   * see the same votes and do not fail a host again).
   */
  async #checkedVotes(): Promise<SignedStatement[]> {
    if (this.#config.signatureCheck !== 'at-receipt') return this.#votes;
    const from = this.#verified;
    const unchecked = this.#votes.slice(from); // votes arriving meanwhile stay unchecked, after these
    const valid = await Promise.all(unchecked.map((v) => verifyStatement(v, this.#config.domain)));
    const good = unchecked.filter((v, i) => {
      if (!valid[i])
        this.#fail(v.host, v.statement.items.at(-1)?.step ?? -1, new InferSignatureError('bad signature'));
      return valid[i];
    });
    this.#votes.splice(from, unchecked.length, ...good);
    this.#verified = from + good.length;
    return this.#votes.slice(0, this.#verified);
  }

  /** Asks every shard of the request's matrix until each is decided, then writes the rows into `request.out`. */
  async #product(request: LinearRequest): Promise<void> {
    const shards = this.#byName.get(request.name) ?? [];
    const step = this.#step++; // every host asked for this product signs this step
    const ballots = new Map<ShardAssignment, Ballot[]>(shards.map((s) => [s, []]));
    const asked = new Map<ShardAssignment, Set<Address>>(shards.map((s) => [s, new Set()]));
    /** Per shard, the ballots a re-vote replaced (still marked won or lost once it is decided). */
    const replaced = new Map<ShardAssignment, Ballot[]>(shards.map((s) => [s, []]));
    let open = shards;
    while (open.length > 0) {
      const perHost = new Map<Address, ShardAssignment[]>();
      const revoters = new Set<Address>();
      try {
        for (const s of open) {
          const seen = asked.get(s)!;
          let toAsk = this.#active.get(s)!.filter((h) => !seen.has(h));
          if (toAsk.length === 0) {
            // A split vote: a standby joins and the voters still in the session answer again with
            // it, all at one fresh step, so the decided digest's signers share the losers' step.
            const standby = this.#widen(s, seen);
            const voters = ballots.get(s)!.filter((b) => !this.#retired.has(b.host));
            replaced.get(s)!.push(...ballots.get(s)!);
            ballots.set(s, []);
            toAsk = [...voters.map((b) => b.host), ...standby];
            for (const h of toAsk) revoters.add(h);
          }
          for (const h of toAsk) {
            seen.add(h);
            perHost.set(h, [...(perHost.get(h) ?? []), s]);
          }
        }
      } catch (err) {
        // undecided: none of its answers won
        for (const s of open) this.#markLost(s, [...replaced.get(s)!, ...ballots.get(s)!], new Set());
        throw err;
      }
      this.stats.calls += perHost.size;
      let retry: number | undefined; // one fresh step for re-voters and hosts already asked at `step`
      const stepFor = (h: Address) =>
        !revoters.has(h) && (this.#lastStep.get(h) ?? -1) < step ? step : (retry ??= this.#step++);
      await Promise.all([...perHost].map(([h, list]) => this.#ask(h, stepFor(h), list, request.x, ballots)));
      const started = performance.now();
      open = open.filter((s) => !this.#decide(s, ballots.get(s)!, replaced.get(s)!, request.out));
      this.stats.consensusMs += performance.now() - started;
    }
  }

  /** A standby joining the shard to break a split vote (no majority among everyone asked); throws when none is left. */
  #widen(s: ShardAssignment, seen: Set<Address>): Address[] {
    const queue = this.#standbys.get(s)!;
    const active = this.#active.get(s)!;
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (!this.#retired.has(next) && !seen.has(next) && !active.includes(next)) {
        active.push(next);
        return [next];
      }
    }
    throw new InferShardUndecidedError(
      `No answer for shard ${s.shard} of ${s.matrix.name} reached a majority.`,
      {
        details: `asked ${[...seen].join(', ')}`,
        hint: 'Plan with more replicas or standbys, or use tolerant mode on heterogeneous hardware.',
      },
    );
  }

  /** One call to one host for all its shards of this step; a failure retires the host. */
  async #ask(
    host: Address,
    step: number,
    shards: readonly ShardAssignment[],
    x: Float32Array,
    ballots: Map<ShardAssignment, Ballot[]>,
  ): Promise<void> {
    const items = shards.map((s) => ({ layer: s.matrix.layer, matrix: s.matrix.matrix, shard: s.shard }));
    const answer = await this.#call(
      host,
      step,
      items,
      shards.map(() => x),
      vectorDigest(x),
      shards.map((s) => s.rowEnd - s.rowStart),
    );
    if (!answer) return;
    shards.forEach((s, i) => {
      ballots.get(s)!.push({ host, step, digest: answer.digests[i]!, rows: answer.outputs[i]! });
    });
  }

  /**
   * Asks every host holding unsigned answers for its signature over them
   * (`generate` does it after each token when sealing per token). A host that
   * does not sign exactly what it answered is failed and retired.
   */
  async seal(): Promise<void> {
    const hosts = [...this.#unsealed].filter(([, items]) => items.length > 0).map(([h]) => h);
    await Promise.all(hosts.map((h) => this.#call(h, this.#step++, [], [], ZERO_INPUT, [], true)));
  }

  /**
   * Sends one request (sealing it when asked or when sealing per response),
   * records the answered items, and on a signature checks and keeps the vote.
   * Resolves to the answer, or to an empty answer after a failure (the host is
   * then failed and retired).
   */
  async #call(
    host: Address,
    step: number,
    items: readonly RequestItem[],
    inputs: readonly Float32Array[],
    input: Hex,
    rows: readonly number[],
    forceSeal = false,
  ): Promise<HostAnswer | undefined> {
    const { domain, timeoutMs } = this.#config;
    this.#lastStep.set(host, step);
    const seal = forceSeal || this.#config.sealEvery === 'response';
    try {
      const answer = await this.#channel(host).call({
        header: {
          session: this.id,
          model: this.#config.plan.parameters.modelDigest,
          step,
          seal,
          items,
          auth: this.#config.auth ?? null,
        },
        inputs,
        rows,
        timeoutMs,
      });
      const unsealed = this.#unsealed.get(host) ?? [];
      for (const [i, item] of items.entries())
        unsealed.push({ step, ...item, input, digest: answer.digests[i]! });
      this.#unsealed.set(host, unsealed);
      if (answer.signature !== null) {
        const statement: PartialProductsStatement = { session: this.id, items: unsealed };
        this.#unsealed.set(host, []);
        if (this.#config.signatureCheck === 'each-response') {
          const started = performance.now();
          const valid = await verifyStatement({ host, statement, signature: answer.signature }, domain);
          if (!forceSeal) this.stats.consensusMs += performance.now() - started; // seal() times itself whole
          if (!valid)
            throw new InferSignatureError(`Host ${host} did not sign its answers up to step ${step}.`);
        }
        this.#votes.push({ host, statement, signature: answer.signature });
      }
      return answer;
    } catch (err) {
      this.#fail(host, step, err);
      return undefined;
    }
  }

  /** Decides a shard from its ballots; on a winner writes its rows, tallies and retires the outvoted. */
  #decide(
    s: ShardAssignment,
    ballots: readonly Ballot[],
    replaced: readonly Ballot[],
    out: Float32Array,
  ): boolean {
    if (ballots.length === 0) return false;
    const quorum = this.#quorum();
    const stake = (h: Address) => this.#stake.get(h) ?? 0n;
    let winners: Address[] = [];
    let rows: Float32Array | undefined;
    const mode = this.#config.mode;
    if (mode.kind === 'exact') {
      const decision = decideMajority(
        ballots.map((b) => ({ participant: b.host, digest: b.digest, stake: stake(b.host) })),
        quorum,
      );
      if (decision.winner === null) return false;
      const won = ballots.filter((b) => b.digest === decision.winner);
      winners = won.map((b) => b.host);
      rows = won[0]!.rows;
    } else {
      const decision = decideTolerant(
        ballots.map((b) => ({ participant: b.host, stake: stake(b.host), vector: b.rows })),
        mode.epsilon,
      );
      if (!decision.hasMajority || decision.members.length < quorum) return false;
      winners = decision.members.map((m) => m.participant);
      rows = decision.representative.vector;
    }
    out.set(rows, s.rowStart);
    const outvoted = ballots.map((b) => b.host).filter((h) => !winners.includes(h));
    const winning = new Set(
      ballots.filter((b) => winners.includes(b.host)).map((b) => b.digest.toLowerCase()),
    );
    this.#markLost(s, [...replaced, ...ballots], winning);
    for (const h of winners) this.#tally(h).wins++;
    for (const h of outvoted) {
      this.#tally(h).losses++;
      this.#retire(h);
    }
    this.#tokenVotes.push({ name: s.matrix.name, shard: s.shard, agreed: winners, outvoted });
    return true;
  }

  /** Records the ballots of `s` whose digest is not a winning one as lost answers. */
  #markLost(s: ShardAssignment, ballots: readonly Ballot[], winning: ReadonlySet<string>): void {
    const item = { layer: s.matrix.layer, matrix: s.matrix.matrix, shard: s.shard };
    for (const b of ballots) {
      if (!winning.has(b.digest.toLowerCase())) this.#lost.add(answerKey(b.host, { step: b.step, ...item }));
    }
  }

  /** The open channel to a host (created on first use). */
  #channel(host: Address): HostChannel {
    let channel = this.#channels.get(host);
    if (!channel) {
      const peer = this.#config.peers.get(host);
      if (peer === undefined) throw new GatewayConfigError(`No address is known for host ${host}.`);
      channel = new HostChannel(this.#config.host, peer);
      this.#channels.set(host, channel);
    }
    return channel;
  }

  #fail(host: Address, step: number, err: unknown): void {
    this.failures.push({ host, step, error: err instanceof BaseError ? err.name : 'Error' });
    this.#tally(host).failures++;
    this.#unsealed.delete(host); // a failed host's pending answers will not be signed
    this.#retire(host);
  }

  /**
   * Takes a host out of every shard it serves in this session; a shard left
   * with fewer than a quorum of hosts takes its next standby. (Not replacing
   * above the quorum keeps a shard's hosts few, so the signers of a decided
   * digest outweigh the shard's whole stake in the session, as slashing requires.)
   */
  #retire(host: Address): void {
    if (this.#retired.has(host)) return;
    this.#retired.add(host);
    const quorum = this.#quorum();
    for (const [s, active] of this.#active) {
      const i = active.indexOf(host);
      if (i < 0) continue;
      active.splice(i, 1);
      if (active.length >= quorum) continue;
      const queue = this.#standbys.get(s)!;
      while (queue.length > 0) {
        const next = queue.shift()!;
        if (!this.#retired.has(next) && !active.includes(next)) {
          active.push(next);
          break;
        }
      }
    }
  }

  /** Answers a shard needs: a strict majority of the planned replicas. */
  #quorum(): number {
    return Math.floor(this.#config.plan.parameters.replicas / 2) + 1;
  }

  #tally(host: Address): HostTally {
    let t = this.#tallies.get(host);
    if (!t) {
      t = { address: host, wins: 0, losses: 0, failures: 0 };
      this.#tallies.set(host, t);
    }
    return t;
  }
}

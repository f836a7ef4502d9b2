import type { Address, Hex } from 'viem';
import type { StatementItem } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import type { AttnHistory } from './attnHistory.ts';
import { type ExchangeRequest, exchangeShardKey } from './exchange.ts';
import type { PartAnswer } from './hostLink.ts';
import type { ShardAssignment } from './planner.ts';
import type { ShardRoster } from './roster.ts';
import { type Ballot, type ConsensusMode, decideShard, type ShardDecision } from './shardDecision.ts';
import type { RequestItem } from './wire.ts';

/** The outcome of one shard of one exchange. */
export type ShardVote = {
  readonly name: string;
  readonly shard: number;
  /** Hosts whose answer is the decided result (those in by the decision). */
  readonly agreed: readonly Address[];
  /** Hosts whose answer lost; they are replaced for the rest of the session. */
  readonly outvoted: readonly Address[];
};

/** What an exchange needs from its session. */
export type ExchangeContext = {
  readonly roster: ShardRoster;
  readonly mode: ConsensusMode;
  readonly dModel: number;
  stake(host: Address): bigint;
  /** A fresh step of the session. */
  nextStep(): number;
  /** The last step `host` was asked in this session (-1 before). */
  lastStep(host: Address): number;
  /** The layer's attention window (attention exchanges only). */
  history(layer: number): AttnHistory;
  /** Whether `host` already holds this session's window of attention shard `key` (it was sent every exchange of it); marks it as holding it from now. */
  markFed(key: string, host: Address): boolean;
  /** Marks `host` as not holding the window of attention shard `key` (it dropped the session's caches). */
  unfed(key: string, host: Address): void;
  /**
   * Sends one part to `host`, recording its items as answered; resolves to
   * the answer, to 'window-lost' when the host no longer holds the session's
   * attention caches (InferCacheMissingError; it stays in the session), or to
   * undefined when the host failed (then retired).
   */
  ask(
    host: Address,
    step: number,
    items: readonly RequestItem[],
    inputs: readonly Float32Array[],
    outputLengths: readonly number[],
    statement: (answer: PartAnswer) => StatementItem[],
  ): Promise<PartAnswer | 'window-lost' | undefined>;
  /** A shard's answer lost (outvoted, or undecided). */
  lost(host: Address, step: number, s: ShardAssignment): void;
  won(host: Address): void;
  /** A host answered against the decision: tallied and retired. */
  outvoted(host: Address): void;
  vote(vote: ShardVote): void;
};

type ShardState = {
  readonly s: ShardAssignment;
  ballots: Ballot[];
  /** Ballots a re-vote replaced (still marked won or lost once decided). */
  readonly replaced: Ballot[];
  readonly asked: Set<Address>;
  readonly pending: Set<Address>;
  decided: ShardDecision | undefined;
};

/**
 * Runs one exchange of a session: asks every shard's hosts (one part per host
 * with all its shards), decides each shard as soon as a quorum agrees (slower
 * answers are judged when they arrive: agreeing ones win, others lose and
 * their host is retired), asks standbys when hosts fail, and breaks a split
 * vote by asking its voters and a standby again at a fresh step. Resolves to
 * one decided output per shard, in shard order. Attention hosts that do not
 * hold the session's window (a standby joining, a host that dropped the
 * session's caches) are sent the whole window, the latter at a fresh step.
 * Throws InferShardUndecidedError when a shard runs out of hosts.
 */
export async function runExchange(
  ctx: ExchangeContext,
  shards: readonly ShardAssignment[],
  request: ExchangeRequest,
): Promise<Float32Array[]> {
  const { kind, rows, window, outFrom } = request;
  const x = request.x.slice(0, rows * ctx.dModel); // the decoder reuses its buffers; a queued part must not see them change
  const outRows = rows - (kind === 'attn' ? outFrom : 0);
  const history = kind === 'attn' ? ctx.history(request.layer) : undefined;
  const input: Hex = history ? history.advance(window, x, rows, outRows) : vectorDigest(x);
  const kept = window.keepTo - window.keepFrom;
  const step = ctx.nextStep();
  const states: ShardState[] = shards.map((s) => ({
    s,
    ballots: [],
    replaced: [],
    asked: new Set(),
    pending: new Set(),
    decided: undefined,
  }));
  let wake = () => {};
  /** Set when the exchange failed: answers still arriving for its undecided shards lose. */
  let abandoned = false;
  const keyOf = (st: ShardState) => exchangeShardKey(request.layer, 'attn', st.s.shard);
  const item = (st: ShardState, host: Address, revote: boolean): { item: RequestItem; x: Float32Array } => {
    const base = { layer: request.layer, matrix: kind, shard: st.s.shard };
    if (kind !== 'attn') return { item: { ...base, rows, keepFrom: 0, keepTo: 0, outFrom: 0 }, x };
    if (revote) return { item: { ...base, rows, keepFrom: 0, keepTo: kept, outFrom }, x }; // it appended these rows already
    if (ctx.markFed(keyOf(st), host)) return { item: { ...base, rows, ...window, outFrom }, x };
    const all = history!.rows.slice();
    const total = history!.length;
    return { item: { ...base, rows: total, keepFrom: 0, keepTo: 0, outFrom: total - outRows }, x: all };
  };
  const outputLength = (s: ShardAssignment) =>
    kind === 'lm_head' ? rows * (s.rowEnd - s.rowStart) : outRows * ctx.dModel;

  const send = (host: Address, asks: ReadonlyArray<[ShardState, boolean]>, atStep: number) => {
    const list = asks.map(([st]) => st);
    const built = asks.map(([st, revote]) => item(st, host, revote));
    for (const st of list) {
      st.asked.add(host);
      st.pending.add(host);
    }
    void ctx
      .ask(
        host,
        atStep,
        built.map((b) => b.item),
        built.map((b) => b.x),
        list.map((st) => outputLength(st.s)),
        (answer) =>
          list.map((st, i) => ({
            step: atStep,
            layer: request.layer,
            matrix: kind,
            shard: st.s.shard,
            input,
            digest: answer.digests[i]!,
          })),
      )
      .then((answer) => {
        list.forEach((st, i) => {
          st.pending.delete(host);
          if (answer === 'window-lost') {
            // asked again (unless decided meanwhile), with the whole window
            ctx.unfed(keyOf(st), host);
            st.asked.delete(host);
            return;
          }
          if (!answer) return;
          const ballot = { host, step: atStep, digest: answer.digests[i]!, rows: answer.outputs[i]! };
          if (st.decided) judgeLate(ctx, st, ballot);
          else if (abandoned) ctx.lost(host, atStep, st.s);
          else st.ballots.push(ballot);
        });
        wake();
      });
  };

  try {
    for (;;) {
      // Per host: items asked at this exchange's step, and items at one fresh step (re-votes, and
      // hosts already asked at `step`), each group one part.
      const atStep = new Map<Address, Array<[ShardState, boolean]>>();
      const atFresh = new Map<Address, Array<[ShardState, boolean]>>();
      const add = (map: typeof atStep, h: Address, st: ShardState, revote: boolean) =>
        map.set(h, [...(map.get(h) ?? []), [st, revote]]);
      for (const st of states) {
        if (st.decided || st.pending.size > 0) continue;
        const toAsk = ctx.roster.active(st.s).filter((h) => !st.asked.has(h));
        if (toAsk.length > 0) {
          for (const h of toAsk) add(ctx.lastStep(h) < step ? atStep : atFresh, h, st, false);
          continue;
        }
        // Everyone asked answered or failed and nothing is decided: a standby joins, and the
        // voters still in the session answer again with it, all at one fresh step.
        const standby = ctx.roster.widen(st.s, st.asked);
        const voters = st.ballots.filter((b) => !ctx.roster.retired(b.host)).map((b) => b.host);
        st.replaced.push(...st.ballots);
        st.ballots = [];
        for (const h of voters) add(atFresh, h, st, true);
        add(atFresh, standby, st, false);
      }
      for (const [h, list] of atStep) send(h, list, step);
      if (atFresh.size > 0) {
        const fresh = ctx.nextStep();
        for (const [h, list] of atFresh) send(h, list, fresh);
      }
      if (states.every((st) => st.decided)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      decideAll(ctx, states);
      if (states.every((st) => st.decided)) break;
    }
  } catch (err) {
    abandoned = true;
    for (const st of states) {
      if (!st.decided) for (const b of [...st.replaced, ...st.ballots]) ctx.lost(b.host, b.step, st.s);
    }
    throw err;
  }
  return states.map((st) => st.decided!.rows);
}

/** Decides every open shard that can be, marking losing answers and retiring their hosts. */
function decideAll(ctx: ExchangeContext, states: readonly ShardState[]): void {
  for (const st of states) {
    if (st.decided) continue;
    const decision = decideShard(st.ballots, ctx.roster.quorum, ctx.mode, ctx.stake);
    if (!decision) continue;
    st.decided = decision;
    const outvoted: Address[] = [];
    for (const b of st.replaced) if (!decision.agrees(b)) ctx.lost(b.host, b.step, st.s);
    for (const b of st.ballots) {
      if (decision.agrees(b)) ctx.won(b.host);
      else {
        ctx.lost(b.host, b.step, st.s);
        outvoted.push(b.host);
        ctx.outvoted(b.host);
      }
    }
    ctx.vote({ name: st.s.matrix.name, shard: st.s.shard, agreed: decision.winners, outvoted });
  }
}

/** An answer arriving after its shard was decided: it wins if it agrees, else it loses and its host is retired. */
function judgeLate(ctx: ExchangeContext, st: ShardState, ballot: Ballot): void {
  if (st.decided!.agrees(ballot)) {
    ctx.won(ballot.host);
    return;
  }
  ctx.lost(ballot.host, ballot.step, st.s);
  ctx.outvoted(ballot.host);
  ctx.vote({ name: st.s.matrix.name, shard: st.s.shard, agreed: [], outvoted: [ballot.host] });
}

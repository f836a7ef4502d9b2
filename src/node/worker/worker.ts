import { type Hex, isAddressEqual, type TransactionReceipt } from 'viem';
import { claim } from '../../chain/actions/claim.ts';
import { claimMany } from '../../chain/actions/claimMany.ts';
import { commit } from '../../chain/actions/commit.ts';
import { drawCommittee } from '../../chain/actions/drawCommittee.ts';
import { finalize } from '../../chain/actions/finalize.ts';
import { reveal } from '../../chain/actions/reveal.ts';
import { type TaskMarketEvent, watchTasks } from '../../chain/actions/watchTasks.ts';
import { ChainRevertError } from '../../chain/errors.ts';
import { errorLine, isTransientRpcError } from '../../chain/rpcErrors.ts';
import { formatCursor, parseCursor, type WatchCursor } from '../../chain/watchCursor.ts';
import { BaseError } from '../../core/errors.ts';
import { randomSalt } from '../../core/salt.ts';
import { DiskFullError } from '../../store/errors.ts';
import { TASK_TRANSITIONS, type TaskRecord, type TaskState } from '../../store/journal.ts';
import type { Store } from '../../store/openStore.ts';
import type { TxAction } from '../../store/sentTxs.ts';
import { chainNow } from '../chainTime.ts';
import { DiskFullNotice } from '../diskFullNotice.ts';
import type { LineLog } from '../logger.ts';
import { createLogOnce, createOutageLog, type LogOnce, type OutageLog } from '../logOnce.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { TxLock } from '../txLock.ts';
import { type ComputeDeps, computeResult, lieAbout } from './computeResult.ts';
import { exchangePool } from './exchange.ts';
import { findParticipantTx, type TxEvent } from './findTx.ts';
import { othersOnChain } from './lazy.ts';
import { type NextStep, nextStep } from './nextStep.ts';
import { RetryBackoff } from './retryBackoff.ts';
import { readTaskSnapshot, type TaskReading } from './snapshot.ts';
import { DEFAULT_TASK_POLICY, type TaskPolicy } from './taskPolicy.ts';
import { trackSentTxs } from './trackTxs.ts';

/** The components a worker uses. */
export type WorkerComponents = ComputeDeps & {
  store: Store;
  /** Held while the worker sends a transaction (the API sends from the same account). */
  txLock: TxLock;
  metrics: NodeMetrics;
  log: LineLog;
};

/** Options of a worker. */
export type WorkerInit = {
  /** First block to read TaskMarket events from when the store has no saved position. */
  fromBlock: bigint;
  /** Milliseconds between rounds (default 250). */
  pollIntervalMs?: number | undefined;
  /** The terms on which the node takes tasks (default `DEFAULT_TASK_POLICY`). */
  policy?: TaskPolicy | undefined;
  /**
   * Blocks on top of a block before what it shows counts as confirmed
   * (default {@link DEFAULT_CONFIRMATIONS}; 0 = the latest block is final).
   * The journal mirrors the chain at that depth, and a task is done only
   * when the chain there needs nothing more from the node.
   */
  confirmations?: number | undefined;
  /** Tests only: commit a wrong result (the node is outvoted and slashed). */
  lie?: boolean;
  /**
   * Tests only: compute nothing; commit a copy of another member's
   * commitment (journaled in place of a result digest) and, having no
   * opening, try to reveal the digest another member revealed. The chain
   * refuses the reveal, so the node loses its bond and earns nothing.
   */
  lazy?: boolean;
  /**
   * Tests only: kill this process with SIGKILL right after a commit
   * transaction is mined (`commit-sent`: journaled as sent, not yet as mined)
   * or right after the journal marks it mined (`committed`), to test recovery.
   */
  crashAfter?: CrashPoint | undefined;
};

/** Where `crashAfter` kills the process. */
export type CrashPoint = 'commit-sent' | 'committed';

/**
 * Confirmation depth unless told otherwise: two blocks on top. Reorgs of one
 * block are common on proof-of-stake chains and rollups' unsafe heads, two
 * rare; a deeper one is still survived (the journal is rewound), this depth
 * only decides when a task may be forgotten. See docs/decisions.md.
 */
export const DEFAULT_CONFIRMATIONS = 2;

/** Where the event watcher resumes: the blocks it covered (`formatCursor`); `worker.nextBlock` in older stores. */
const CURSOR_KEY = 'worker.cursor';
const NEXT_BLOCK_KEY = 'worker.nextBlock';
const POOLS_KEY = 'worker.pools';
/** Steps taken for one task in one round before moving on to the next task. */
const MAX_STEPS_PER_ROUND = 8;
/** Seconds (chain time) before a computation whose inputs could not be fetched is tried again; doubled per failure. */
const COMPUTE_RETRY_SECONDS = 2;
/** Longest back-off between attempts to compute one task. */
const MAX_COMPUTE_RETRY_SECONDS = 16;
/** Seconds before a failed exchange fetch is tried again. */
const EXCHANGE_RETRY_SECONDS = 5;
/**
 * Chain errors that only mean "someone else got there first", "not yet" or
 * "already on its way" (a commit or reveal a reorg put back into the pending
 * pool, found by the simulation before sending): retried next round, logged
 * at most once per task and error.
 */
const BENIGN_REVERTS = new Set([
  'TaskCommitteeAlreadyDrawn',
  'TaskCommitteeNotReady',
  'TaskAlreadyFinalized',
  'TaskFinalizeTooEarly',
  'TaskRevealNotOpen',
  'TaskAlreadyCommitted',
  'TaskAlreadyRevealed',
]);

/** When to look at a task again: at chain time `until`, and (when set) once the head is no longer `head`. */
type Entry = { until: number; head?: Hex };

/** The transaction each journal state is confirmed by. */
const TX_ACTION: Partial<Record<TaskState, TxAction>> = {
  committed: 'commit',
  revealed: 'reveal',
  claimed: 'claim',
};

/**
 * The node's task worker. It follows TaskMarket events, and for every task
 * it is involved in asks `nextStep` what to do and does it: draws the
 * committee, fetches the spec and inputs, runs the kind, stores the result,
 * journals the salt *before* committing, commits, reveals once the reveal
 * phase opens, finalizes when due, claims (batched), and finally fetches the
 * other winners of its pools. After a restart it resumes from the journal and
 * the saved event position.
 */
export class Worker {
  readonly #c: WorkerComponents;
  readonly #init: WorkerInit;
  readonly #active = new Map<bigint, Entry>();
  readonly #pools: Set<Hex>;
  readonly #abort = new AbortController();
  readonly #computing = new Map<bigint, Promise<void>>();
  readonly #computeRetries = new RetryBackoff<bigint>(COMPUTE_RETRY_SECONDS, MAX_COMPUTE_RETRY_SECONDS);
  /** Chain time of the latest round: retry times are chain times, never the local clock. */
  #chainTime = 0;
  #exchangeDue = true;
  #exchangeRetryAt = 0;
  #exchanging: Promise<void> | undefined;
  #watcher: ReturnType<typeof watchTasks> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> = Promise.resolve();
  #inRound = false;
  #wakeAgain = false;
  #running = false;
  readonly #diskFull: DiskFullNotice;
  readonly #logOnce: LogOnce;
  /** The chain's reachability: logged when it is lost and when it returns, not per failed call. */
  readonly #chainOutage: OutageLog;
  /** The latest block (hash and number) when sent transactions were last checked. */
  #head: { hash: Hex; number: bigint } | undefined;
  /** Milliseconds before the next round while the disk is full (0: the poll interval). */
  #roundBackoffMs = 0;

  /** Creates a stopped worker. */
  constructor(components: WorkerComponents, init: WorkerInit) {
    this.#c = components;
    this.#init = init;
    this.#diskFull = new DiskFullNotice(components.log);
    this.#logOnce = createLogOnce(components.log);
    this.#chainOutage = createOutageLog(components.log);
    this.#pools = new Set(JSON.parse(components.store.settings.get(POOLS_KEY) ?? '[]') as Hex[]);
  }

  /** Resumes the journal's pending tasks and starts following the chain. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const taskId of this.#c.store.journal.pendingTaskIds()) this.#active.set(taskId, { until: 0 });
    const saved = this.#c.store.settings.get(NEXT_BLOCK_KEY);
    const cursor = this.#c.store.settings.get(CURSOR_KEY);
    this.#watcher = watchTasks(this.#c.ctx, {
      fromBlock: saved === undefined ? this.#init.fromBlock : BigInt(saved),
      cursor: cursor === undefined ? undefined : parseCursor(cursor),
      pollingInterval: this.#init.pollIntervalMs ?? 250,
      onEvents: (events, _toBlock, cursor) => this.#onEvents(events, cursor),
      onReorg: ({ depth, fromBlock, beyondWindow }) =>
        this.#c.log(
          `chain reorganized: ${depth} blocks replaced from block ${fromBlock}${beyondWindow ? ' (deeper than the blocks remembered)' : ''}; re-scanning`,
        ),
      onError: (err) => this.#fail('watch', err),
    });
    this.#schedule();
  }

  /** Stops following the chain, aborts running computations and waits for the current round. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#watcher?.stop();
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#round;
    await this.#exchanging;
    await Promise.all(this.#computing.values());
  }

  /** Looks at `taskId` in the next round (e.g. on a gossip announcement). */
  poke(taskId: bigint): void {
    this.#active.set(taskId, { until: 0 });
    this.#wake();
  }

  /** Task ids the worker is following. */
  activeTasks(): bigint[] {
    return [...this.#active.keys()];
  }

  #schedule(delayMs = this.#init.pollIntervalMs ?? 250): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#startRound(), delayMs);
  }

  #startRound(): void {
    if (!this.#running || this.#inRound) return;
    this.#inRound = true;
    this.#wakeAgain = false;
    this.#round = this.#runRound().finally(() => {
      this.#inRound = false;
      this.#schedule(this.#roundBackoffMs > 0 ? this.#roundBackoffMs : this.#wakeAgain ? 0 : undefined);
    });
  }

  /** Runs a round now (or right after the current one) instead of at the next tick. */
  #wake(): void {
    if (this.#inRound) this.#wakeAgain = true;
    else this.#schedule(0);
  }

  #onEvents(events: TaskMarketEvent[], cursor: WatchCursor): void {
    const mine: bigint[] = [];
    for (const event of events) {
      const taskId = 'taskId' in event.args ? (event.args.taskId as bigint) : undefined;
      if (taskId === undefined) continue;
      if (event.eventName === 'TaskCreated' || this.#active.has(taskId))
        this.#active.set(taskId, { until: 0 });
      const creator = event.eventName === 'TaskCreated' ? event.args.creator : undefined;
      if (creator !== undefined && isAddressEqual(creator, this.#c.ctx.account.address)) mine.push(taskId);
      if (event.eventName === 'TaskFinalized') this.#exchangeDue = true;
    }
    try {
      // Its own tasks are followed before the position moves past their creation, so a
      // restart in between still finalizes them and claims the refund.
      for (const taskId of mine) this.#c.store.journal.follow(taskId);
      this.#c.store.settings.set(CURSOR_KEY, formatCursor(cursor));
      this.#diskFull.writable();
    } catch (err) {
      // The events are taken; not re-delivered: the position is saved with a later batch.
      if (!(err instanceof DiskFullError)) throw err;
      this.#fail('watch: position not saved', err);
    }
    if (events.length > 0) this.#wake();
  }

  async #runRound(): Promise<void> {
    try {
      const now = await chainNow(this.#c.ctx);
      this.#chainTime = now;
      const head = await this.#c.ctx.publicClient.getBlock({ blockTag: 'latest' });
      this.#chainOutage.recovered(CHAIN_KEY, 'chain reachable again');
      const depth = BigInt(this.#init.confirmations ?? DEFAULT_CONFIRMATIONS);
      const confirmedBlock = head.number > depth ? head.number - depth : 0n;
      if (head.hash !== this.#head?.hash) {
        // A reorg replaced the last head seen: every task looks at the chain again.
        const replaced = await this.#replaced(head);
        const touched = await trackSentTxs(this.#c.ctx, this.#c.store.sentTxs, confirmedBlock, this.#c.log);
        for (const [taskId, entry] of this.#active) {
          if (replaced || touched.includes(taskId)) this.#active.set(taskId, { ...entry, until: 0 });
        }
        this.#head = { hash: head.hash, number: head.number };
      }
      const at = { now, head: head.hash, confirmedBlock: depth > 0n ? confirmedBlock : undefined };
      const claims: TaskReading[] = [];
      for (const [taskId, entry] of this.#active) {
        if (!this.#running) return;
        if (entry.until > now || entry.head === head.hash) continue;
        await this.#advance(taskId, at, claims).catch((err) => {
          entry.until = now + 1;
          this.#fail(`task ${taskId}`, err);
        });
      }
      if (claims.length > 0 && this.#running) await this.#claim(claims);
      if (this.#exchangeDue && this.#running && !this.#exchanging && now >= this.#exchangeRetryAt) {
        this.#exchanging = this.#exchange(now).finally(() => {
          this.#exchanging = undefined;
        });
      }
      this.#roundBackoffMs = 0;
    } catch (err) {
      // A full disk fails every round the same way: wait longer between rounds until a write succeeds.
      if (err instanceof DiskFullError)
        this.#roundBackoffMs = Math.min(Math.max(1000, this.#roundBackoffMs * 2), 10_000);
      this.#fail('round', err);
    }
  }

  /**
   * Whether the last head seen is no longer on the chain. A new head whose parent is not it may
   * just be several blocks further (they come faster than the rounds), so that block is checked.
   */
  async #replaced(head: { parentHash: Hex; number: bigint }): Promise<boolean> {
    const last = this.#head;
    if (last === undefined || head.parentHash === last.hash) return false;
    if (head.number <= last.number) return true;
    const now = await this.#c.ctx.publicClient.getBlock({ blockNumber: last.number });
    return now.hash !== last.hash;
  }

  async #advance(
    taskId: bigint,
    at: { now: number; head: Hex; confirmedBlock: bigint | undefined },
    claims: TaskReading[],
  ): Promise<void> {
    const { journal } = this.#c.store;
    const me = this.#c.ctx.account.address;
    const { now } = at;
    for (let i = 0; i < MAX_STEPS_PER_ROUND && this.#running; i++) {
      const reading = await readTaskSnapshot(this.#c.ctx, taskId, me, at.confirmedBlock);
      // A creator follows its task across restarts until it is finalized and refunded.
      if (reading.snapshot.creator.isMe && !journal.follows(taskId)) journal.follow(taskId);
      const local = this.#journaledFor(reading)?.state ?? 'new';
      const step = nextStep(reading.snapshot, local, now, {
        policy: this.#init.policy ?? DEFAULT_TASK_POLICY,
        confirmed: reading.confirmed,
      });
      if (step.step === 'claim') {
        claims.push(reading);
        return;
      }
      if (step.step === 'wait') {
        const entry: Entry = step.confirming ? { until: 0, head: at.head } : { until: step.until ?? now + 1 };
        this.#active.set(taskId, entry);
        return;
      }
      if (step.step === 'done') {
        if (journal.follows(taskId)) journal.finish(taskId, step.reason);
        this.#active.delete(taskId);
        this.#computeRetries.forget(taskId);
        return;
      }
      if (!(await this.#do(step, reading))) return;
    }
  }

  /**
   * The journal's record of the task, unless it was computed for another spec: a reorg gave the
   * id to another task, so the record is discarded and the new task is computed afresh.
   */
  #journaledFor(reading: TaskReading): TaskRecord | undefined {
    const { journal } = this.#c.store;
    const record = journal.get(reading.task.id);
    const spec = reading.task.params.specDigest.toLowerCase();
    if (record?.specDigest === null || record === undefined || record.specDigest === spec) return record;
    journal.discard(reading.task.id, `reorg: task id now names another task (spec ${spec})`);
    this.#c.log(`task ${reading.task.id}: reorg: the id now names another task; computing it afresh`);
    return undefined;
  }

  /** Executes one step; false when the task should wait for the next round. */
  async #do(
    step: Exclude<NextStep, { step: 'claim' | 'wait' | 'done' }>,
    reading: TaskReading,
  ): Promise<boolean> {
    const { ctx, store } = this.#c;
    const taskId = reading.task.id;
    try {
      switch (step.step) {
        case 'draw': {
          const { receipt } = await this.#c.txLock.run(() =>
            drawCommittee(ctx, { taskId, onSent: this.#journalSent('draw', [taskId]) }),
          );
          this.#mined(receipt);
          return true;
        }
        case 'compute':
          this.#startCompute(reading);
          return false;
        case 'commit': {
          const record = store.journal.get(taskId)!;
          const bond = reading.task.params.bond;
          const receipt = await this.#c.txLock.run(() =>
            commit(
              ctx,
              this.#init.lazy
                ? {
                    taskId,
                    commitment: record.resultDigest,
                    bond,
                    onSent: this.#journalSent('commit', [taskId]),
                  }
                : {
                    taskId,
                    resultDigest: record.resultDigest,
                    salt: record.salt,
                    bond,
                    onSent: this.#journalSent('commit', [taskId]),
                  },
            ),
          );
          this.#crashIf('commit-sent');
          this.#mined(receipt);
          this.#crashIf('committed');
          this.#c.metrics.commits.inc();
          this.#c.log(`task ${taskId}: committed`);
          return true;
        }
        case 'reveal': {
          const record = store.journal.get(taskId)!;
          const resultDigest = this.#init.lazy
            ? ((await this.#othersOnChain(reading, 'Revealed')) ?? record.resultDigest)
            : record.resultDigest;
          const receipt = await this.#c.txLock.run(() =>
            reveal(ctx, {
              taskId,
              resultDigest,
              salt: record.salt,
              onSent: this.#journalSent('reveal', [taskId]),
            }),
          );
          this.#mined(receipt);
          this.#c.metrics.reveals.inc();
          this.#c.log(`task ${taskId}: revealed ${record.resultDigest}`);
          return true;
        }
        case 'finalize': {
          const { outcome, receipt } = await this.#c.txLock.run(() =>
            finalize(ctx, { taskId, onSent: this.#journalSent('finalize', [taskId]) }),
          );
          this.#mined(receipt);
          this.#c.log(`task ${taskId}: finalized (${outcome.status})`);
          return true;
        }
        case 'record':
          await this.#record(step.to, step.reason, reading);
          return true;
      }
    } catch (err) {
      if (err instanceof ChainRevertError && BENIGN_REVERTS.has(err.errorName)) {
        this.#logOnce(
          `task ${taskId}|${err.errorName}`,
          `task ${taskId}: ${step.step}: ${err.errorName} (benign)`,
        );
        return false; // the next round reads the chain again (no retries within this one)
      }
      throw err;
    }
  }

  /**
   * Computes beside the rounds, so a slow fetch or kernel never delays other
   * tasks' commits and reveals; the round after it finishes commits.
   */
  #startCompute(reading: TaskReading): void {
    const taskId = reading.task.id;
    if (this.#computing.has(taskId)) return;
    const job = this.#compute(reading)
      .catch((err) => {
        const retry = this.#computeRetries.failed(taskId, String(err), this.#chainTime);
        this.#active.set(taskId, { until: retry.retryAt });
        this.#fail(`task ${taskId}: cannot compute yet, retrying with back-off`, err, retry.newReason);
      })
      .finally(() => {
        this.#computing.delete(taskId);
        this.#wake();
      });
    this.#computing.set(taskId, job);
  }

  async #compute(reading: TaskReading): Promise<void> {
    if (this.#init.lazy) return await this.#copyCommitment(reading);
    const taskId = reading.task.id;
    const outcome = await computeResult(this.#c, reading.task, this.#abort.signal);
    this.#computeRetries.forget(taskId);
    if (!outcome.ok) {
      this.#active.delete(taskId);
      this.#fail(`task ${taskId}: cannot be run, leaving it`, outcome.error);
      return;
    }
    const result = this.#init.lie ? lieAbout(outcome.result) : outcome.result;
    const { blobs } = this.#c.store;
    const resultDigest = outcome.model ? blobs.putModel(result) : blobs.putBlob(result);
    const { specDigest } = reading.task.params;
    this.#c.store.journal.recordComputed({ taskId, resultDigest, salt: randomSalt(), specDigest });
    this.#active.set(taskId, { until: 0 });
    this.#c.log(`task ${taskId}: computed ${resultDigest}`);
  }

  /** `--lazy`: journals another member's commitment in place of a result, or waits for one. */
  async #copyCommitment(reading: TaskReading): Promise<void> {
    const taskId = reading.task.id;
    const copied = await this.#othersOnChain(reading, 'Committed');
    if (copied === undefined) {
      this.#active.set(taskId, { until: this.#chainTime + COMPUTE_RETRY_SECONDS });
      return;
    }
    const { specDigest } = reading.task.params;
    this.#c.store.journal.recordComputed({ taskId, resultDigest: copied, salt: randomSalt(), specDigest });
    this.#active.set(taskId, { until: 0 });
    this.#c.log(`task ${taskId}: lazy, copied commitment ${copied}`);
  }

  async #othersOnChain(reading: TaskReading, event: 'Committed' | 'Revealed'): Promise<Hex | undefined> {
    return await othersOnChain(this.#c.ctx, {
      taskId: reading.task.id,
      me: this.#c.ctx.account.address,
      event,
      fromBlock: reading.task.createdBlock,
    });
  }

  /**
   * Moves the journal to `to`: back (a reorg dropped what it recorded), or
   * forward with the transaction that made the move — the one the node sent,
   * or, if it crashed before recording it, the one the chain's events name.
   */
  async #record(to: TaskState, reason: string, reading: TaskReading): Promise<void> {
    const { ctx, store } = this.#c;
    const taskId = reading.task.id;
    const from = store.journal.get(taskId)!.state;
    const action = TX_ACTION[to];
    if (!TASK_TRANSITIONS[from].includes(to)) {
      store.journal.rewind(taskId, to, reason);
    } else if (action) {
      const sent = store.sentTxs
        .forTask(taskId)
        .findLast((tx) => tx.action === action && tx.status !== 'dropped');
      let txHash = sent?.txHash;
      if (txHash === undefined) {
        txHash = await findParticipantTx(ctx, {
          taskId,
          account: ctx.account.address,
          event: TX_EVENT[action]!,
          fromBlock: reading.task.createdBlock,
        });
        reason = `${action} sent before a crash`;
      }
      store.journal.advance(taskId, to, { txHash, reason });
    } else {
      store.journal.advance(taskId, to, to === 'failed' ? { failure: reason } : { reason });
    }
    if (to === 'finalized' && this.#won(reading) && reading.task.params.pool !== ZERO_POOL) {
      this.#pools.add(reading.task.params.pool);
      store.settings.set(POOLS_KEY, JSON.stringify([...this.#pools]));
      this.#exchangeDue = true;
    }
    this.#c.log(`task ${taskId}: journal ${to} (${reason})`);
  }

  #won(reading: TaskReading): boolean {
    return reading.me.status === 'revealed' && reading.me.resultDigest === reading.task.winner;
  }

  async #claim(readings: TaskReading[]): Promise<void> {
    const { ctx } = this.#c;
    const ids = readings.map((r) => r.task.id);
    try {
      const { receipt } =
        ids.length === 1
          ? await this.#c.txLock.run(() =>
              claim(ctx, { taskId: ids[0]!, onSent: this.#journalSent('claim', ids) }),
            )
          : await this.#c.txLock.run(() =>
              claimMany(ctx, { taskIds: ids, onSent: this.#journalSent('claim', ids) }),
            );
      this.#mined(receipt);
    } catch (err) {
      this.#fail(`claim ${ids.join(',')}`, err);
      return;
    }
    for (const id of ids) this.#active.set(id, { until: 0 });
    this.#c.log(`claimed tasks ${ids.join(', ')}`);
  }

  /** Journals a protocol transaction as sent once the endpoint holds it (before its receipt). */
  #journalSent(action: TxAction, taskIds: readonly bigint[]): (sent: { hash: Hex; nonce: number }) => void {
    return (sent) =>
      this.#c.store.sentTxs.recordSent({ taskIds, action, txHash: sent.hash, nonce: sent.nonce });
  }

  /** Marks a sent transaction mined in its receipt's block, to follow it until it is confirmed. */
  #mined(receipt: TransactionReceipt): void {
    this.#c.store.sentTxs.mark(receipt.transactionHash, 'mined', receipt.blockNumber);
  }

  /** Runs beside the rounds (never blocks commits and reveals); retries failed fetches later. */
  async #exchange(now: number): Promise<void> {
    this.#exchangeDue = false;
    for (const pool of this.#pools) {
      try {
        const report = await exchangePool(this.#c, pool, this.#abort.signal);
        if (report.fetched.length > 0) {
          this.#c.log(`pool ${pool}: fetched ${report.fetched.length} winning result(s)`);
        }
        if (report.failed.length > 0) {
          this.#exchangeDue = true;
          this.#exchangeRetryAt = now + EXCHANGE_RETRY_SECONDS;
          this.#c.log(`pool ${pool}: ${report.failed.length} result(s) not fetched yet`);
        }
      } catch (err) {
        this.#exchangeDue = true;
        this.#exchangeRetryAt = now + EXCHANGE_RETRY_SECONDS;
        this.#fail(`pool ${pool}`, err);
      }
    }
  }

  #crashIf(point: CrashPoint): void {
    if (this.#init.crashAfter === point) process.kill(process.pid, 'SIGKILL');
  }

  /**
   * Counts a failure and logs it in one line unless `log` is false (a repeat the caller already
   * reported) or it repeats a disk-full notice; repeats of one place and code are summarized (`logOnce.ts`).
   */
  #fail(where: string, err: unknown, log = true): void {
    const code =
      err instanceof BaseError ? err.code : isTransientRpcError(err) ? 'RPC_UNAVAILABLE' : 'INTERNAL';
    this.#c.metrics.errors.inc({ code });
    if (!log || this.#diskFull.repeated(err)) return;
    if (code === 'RPC_UNAVAILABLE') {
      this.#chainOutage.failed(CHAIN_KEY, `chain unreachable: ${where}: ${errorLine(err)}`);
      return;
    }
    const detail = err instanceof ChainRevertError ? err.errorName : errorLine(err);
    this.#logOnce(
      `${where}|${code}|${err instanceof ChainRevertError ? err.errorName : ''}`,
      `${where}: ${code}: ${detail}`,
      'warn',
    );
  }
}

/** The TaskMarket event that names each tracked action's transaction. */
const TX_EVENT: Partial<Record<TxAction, TxEvent>> = {
  commit: 'Committed',
  reveal: 'Revealed',
  claim: 'Claimed',
};

/** The key of the chain in the worker's outage log. */
const CHAIN_KEY = 'chain';

const ZERO_POOL: Hex = `0x${'0'.repeat(64)}`;

import type Database from 'better-sqlite3';
import type { Hex } from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import {
  JournalConflictError,
  JournalTaskNotFoundError,
  JournalValueError,
  TaskTransitionError,
} from './errors.ts';

/**
 * Where a node stands with one task, as the chain shows it at the confirmed
 * height. `claimed` and `failed` end the forward walk, but no state is final:
 * a reorg that drops what the chain showed moves the task back (`rewind`).
 */
export type TaskState = 'computed' | 'committed' | 'revealed' | 'finalized' | 'claimed' | 'failed';

/** The states of a task that goes well, in order (`failed` may follow any but `claimed`). */
export const TASK_PROGRESS: readonly TaskState[] = [
  'computed',
  'committed',
  'revealed',
  'finalized',
  'claimed',
];

/** The forward moves from each state (a reorg's moves back are `rewind`s). */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  computed: ['committed', 'failed'],
  committed: ['revealed', 'failed'],
  revealed: ['finalized', 'failed'],
  finalized: ['claimed', 'failed'],
  claimed: [],
  failed: [],
};

/** States whose transition must name the transaction that caused it, and the column it is kept in. */
const TX_COLUMN: Partial<Record<TaskState, string>> = {
  committed: 'commit_tx',
  revealed: 'reveal_tx',
  claimed: 'claim_tx',
};

/** One task as the journal remembers it. */
export type TaskRecord = {
  taskId: bigint;
  state: TaskState;
  /** The digest of the result this node computed (and committed to). */
  resultDigest: Hex;
  /** The commitment salt; written before the commit transaction is sent. */
  salt: Hex;
  /** The spec digest of the task the result was computed for (null in records older than reorg safety). */
  specDigest: Hex | null;
  commitTx: Hex | null;
  revealTx: Hex | null;
  claimTx: Hex | null;
  /** Why the task failed, when `state` is `failed`. */
  failure: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
};

/** Parameters of `TaskJournal.advance`. */
export type AdvanceParameters = {
  /** The transaction that made the move: required for committed, revealed and claimed. */
  txHash?: Hex;
  /** Why the task failed; only for `failed`. */
  failure?: string;
  /** Why the move was made (kept in the history). */
  reason?: string;
};

/** One transition in a task's history. */
export type TaskTransition = { state: TaskState; txHash: Hex | null; reason: string | null; at: number };

type TaskRow = {
  task_id: string;
  state: TaskState;
  result_digest: string;
  salt: string;
  spec_digest: string | null;
  commit_tx: string | null;
  reveal_tx: string | null;
  claim_tx: string | null;
  failure: string | null;
  created_at: number;
  updated_at: number;
};

const UINT256_MAX = (1n << 256n) - 1n;

/**
 * The crash-safe journal of a node's tasks. Every method commits its own
 * transaction before returning (WAL with `synchronous=FULL`), so whatever a
 * method acknowledged survives a kill at any instant.
 */
export class TaskJournal {
  readonly #db: Database.Database;
  readonly #now: () => number;

  /** Use `openStore` rather than constructing this directly. */
  constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Records a computed result and its salt, before any commit transaction is
   * sent. Recording the same values again is a no-op; different values for an
   * already recorded task raise `JournalConflictError`.
   */
  recordComputed(params: { taskId: bigint; resultDigest: Hex; salt: Hex; specDigest?: Hex }): TaskRecord {
    const id = taskKey(params.taskId);
    const resultDigest = bytes32(params.resultDigest, 'resultDigest');
    const salt = bytes32(params.salt, 'salt');
    const specDigest = params.specDigest === undefined ? null : bytes32(params.specDigest, 'specDigest');
    return this.#db.transaction((): TaskRecord => {
      const existing = this.#row(id);
      if (existing) {
        if (existing.result_digest !== resultDigest || existing.salt !== salt) {
          throw new JournalConflictError(`Task ${id} is already recorded with another result or salt.`, {
            hint: 'A task is computed once; never reuse a task id for a different result.',
          });
        }
        return toRecord(existing);
      }
      const at = this.#now();
      this.#db
        .prepare(
          `INSERT INTO tasks (task_id, state, result_digest, salt, spec_digest, created_at, updated_at)
           VALUES (?, 'computed', ?, ?, ?, ?, ?)`,
        )
        .run(id, resultDigest, salt, specDigest, at, at);
      this.#db
        .prepare(`INSERT INTO task_transitions (task_id, state, tx_hash, at) VALUES (?, 'computed', NULL, ?)`)
        .run(id, at);
      this.#follow(id);
      return toRecord(this.#row(id)!);
    })();
  }

  /** Moves a task to its next state; illegal moves raise `TaskTransitionError`. */
  advance(taskId: bigint, to: TaskState, params: AdvanceParameters = {}): TaskRecord {
    const id = taskKey(taskId);
    const txHash = params.txHash === undefined ? null : bytes32(params.txHash, 'txHash');
    return this.#db.transaction((): TaskRecord => {
      const row = this.#row(id);
      if (!row) throw notFound(id);
      if (!TASK_TRANSITIONS[row.state].includes(to)) {
        throw new TaskTransitionError(`Task ${id} cannot move from ${row.state} to ${to}.`, {
          details: `allowed from ${row.state}: ${TASK_TRANSITIONS[row.state].join(', ') || 'none (final)'}`,
        });
      }
      if (TX_COLUMN[to] && txHash === null) {
        throw new TaskTransitionError(`Moving task ${id} to ${to} needs the transaction hash.`, {
          hint: 'Pass { txHash } of the transaction that made the move.',
        });
      }
      if (params.failure !== undefined && to !== 'failed') {
        throw new TaskTransitionError(`A failure reason is only valid when moving to failed, not ${to}.`);
      }
      const at = this.#now();
      this.#db
        .prepare('UPDATE tasks SET state = ?, updated_at = ?, failure = ? WHERE task_id = ?')
        .run(to, at, params.failure ?? null, id);
      const txColumn = TX_COLUMN[to];
      if (txColumn && txHash !== null) {
        this.#db.prepare(`UPDATE tasks SET ${txColumn} = ? WHERE task_id = ?`).run(txHash, id);
      }
      this.#db
        .prepare('INSERT INTO task_transitions (task_id, state, tx_hash, reason, at) VALUES (?, ?, ?, ?, ?)')
        .run(id, to, txHash, params.reason ?? params.failure ?? null, at);
      return toRecord(this.#row(id)!);
    })();
  }

  /**
   * Moves a task back to `to` because the chain no longer shows what the
   * journal recorded (a reorg dropped a commit, reveal, finalize or claim).
   * Forgets the transactions of the states it leaves; `reason` is kept in
   * the history.
   */
  rewind(taskId: bigint, to: TaskState, reason: string): TaskRecord {
    const id = taskKey(taskId);
    return this.#db.transaction((): TaskRecord => {
      const row = this.#row(id);
      if (!row) throw notFound(id);
      if (row.state === to || TASK_TRANSITIONS[row.state].includes(to)) {
        throw new TaskTransitionError(`Task ${id} cannot be rewound from ${row.state} to ${to}.`, {
          hint: 'Use advance for a forward move.',
        });
      }
      const keep = to === 'failed' ? TASK_PROGRESS.indexOf('finalized') : TASK_PROGRESS.indexOf(to);
      const at = this.#now();
      this.#db
        .prepare(
          `UPDATE tasks SET state = ?, updated_at = ?, failure = ?,
             commit_tx = CASE WHEN ? >= 1 THEN commit_tx END,
             reveal_tx = CASE WHEN ? >= 2 THEN reveal_tx END,
             claim_tx = CASE WHEN ? >= 4 THEN claim_tx END
           WHERE task_id = ?`,
        )
        .run(to, at, to === 'failed' ? reason : null, keep, keep, keep, id);
      this.#db
        .prepare(
          'INSERT INTO task_transitions (task_id, state, tx_hash, reason, at) VALUES (?, ?, NULL, ?, ?)',
        )
        .run(id, to, reason, at);
      return toRecord(this.#row(id)!);
    })();
  }

  /**
   * Forgets the result and salt journaled for `taskId` because the id now
   * names another task (a reorg replaced the creation it was computed for);
   * the history keeps a `failed` transition with `reason`. The task is
   * computed again from its new spec.
   */
  discard(taskId: bigint, reason: string): void {
    const id = taskKey(taskId);
    this.#db.transaction(() => {
      if (!this.#row(id)) throw notFound(id);
      this.#db.prepare('DELETE FROM tasks WHERE task_id = ?').run(id);
      this.#db
        .prepare(
          "INSERT INTO task_transitions (task_id, state, tx_hash, reason, at) VALUES (?, 'failed', NULL, ?, ?)",
        )
        .run(id, reason, this.#now());
    })();
  }

  /** Follows `taskId` until `finish` (e.g. as its creator, with no result of its own to journal). */
  follow(taskId: bigint): void {
    this.#follow(taskKey(taskId));
  }

  /** Whether the node follows `taskId` (unfinished or finished). */
  follows(taskId: bigint): boolean {
    return (
      this.#db.prepare('SELECT 1 FROM followed_tasks WHERE task_id = ?').get(taskKey(taskId)) !== undefined
    );
  }

  /** Marks a followed task done: the chain at the confirmed height needs nothing more from the node. */
  finish(taskId: bigint, reason: string): void {
    this.#db
      .prepare('UPDATE followed_tasks SET done_at = ?, done_reason = ? WHERE task_id = ? AND done_at IS NULL')
      .run(this.#now(), reason, taskKey(taskId));
  }

  /** Followed tasks not confirmed done, in the order they were followed: what a restarted node resumes. */
  pendingTaskIds(): bigint[] {
    const rows = this.#db
      .prepare('SELECT task_id FROM followed_tasks WHERE done_at IS NULL ORDER BY rowid')
      .all() as { task_id: string }[];
    return rows.map((r) => BigInt(r.task_id));
  }

  #follow(id: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO followed_tasks (task_id) VALUES (?)').run(id);
  }

  /** The task's record, or `undefined` if the journal has none. */
  get(taskId: bigint): TaskRecord | undefined {
    const row = this.#row(taskKey(taskId));
    return row ? toRecord(row) : undefined;
  }

  /** How many tasks are in each state (every state present, zero included). */
  countByState(): Record<TaskState, number> {
    const counts = Object.fromEntries(Object.keys(TASK_TRANSITIONS).map((s) => [s, 0])) as Record<
      TaskState,
      number
    >;
    const rows = this.#db.prepare('SELECT state, COUNT(*) AS n FROM tasks GROUP BY state').all() as {
      state: TaskState;
      n: number;
    }[];
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** Every state the task went through, with its transaction, reason and time, in order. */
  history(taskId: bigint): TaskTransition[] {
    const rows = this.#db
      .prepare('SELECT state, tx_hash, reason, at FROM task_transitions WHERE task_id = ? ORDER BY rowid')
      .all(taskKey(taskId)) as { state: TaskState; tx_hash: Hex | null; reason: string | null; at: number }[];
    return rows.map((r) => ({ state: r.state, txHash: r.tx_hash, reason: r.reason, at: r.at }));
  }

  #row(id: string): TaskRow | undefined {
    return this.#db.prepare('SELECT * FROM tasks WHERE task_id = ?').get(id) as TaskRow | undefined;
  }
}

function taskKey(taskId: bigint): string {
  if (typeof taskId !== 'bigint' || taskId < 0n || taskId > UINT256_MAX) {
    throw new JournalValueError(`Task id ${String(taskId)} is not a uint256.`, {
      hint: 'Pass the on-chain task id as a bigint.',
    });
  }
  return taskId.toString(10);
}

function bytes32(value: Hex, field: string): Hex {
  if (!isBytes32(value)) {
    throw new JournalValueError(`${field} must be 0x followed by 64 hex digits.`, {
      details: `got ${String(value as unknown).length} characters`,
    });
  }
  return value.toLowerCase() as Hex;
}

function notFound(id: string): JournalTaskNotFoundError {
  return new JournalTaskNotFoundError(`The journal has no task ${id}.`, {
    hint: 'Record the computed result with recordComputed first.',
  });
}

function toRecord(row: TaskRow): TaskRecord {
  return {
    taskId: BigInt(row.task_id),
    state: row.state,
    resultDigest: row.result_digest as Hex,
    salt: row.salt as Hex,
    specDigest: row.spec_digest as Hex | null,
    commitTx: row.commit_tx as Hex | null,
    revealTx: row.reveal_tx as Hex | null,
    claimTx: row.claim_tx as Hex | null,
    failure: row.failure,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

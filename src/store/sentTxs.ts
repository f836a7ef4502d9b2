import type Database from 'better-sqlite3';
import type { Hex } from 'viem';

/** The protocol transactions a node sends for a task. */
export type TxAction = 'draw' | 'commit' | 'reveal' | 'finalize' | 'claim';

/**
 * How far a sent transaction got: `sent` (the endpoint holds it, no receipt
 * yet), `mined` (a receipt in block `block`), `confirmed` (that block is at
 * least the confirmation depth deep) or `dropped` (a reorg removed it, or it
 * never got into a block; the chain decides whether to send again).
 */
export type TxStatus = 'sent' | 'mined' | 'confirmed' | 'dropped';

/** One transaction sent for one task (a `claimMany` is one row per task). */
export type SentTx = {
  txHash: Hex;
  taskId: bigint;
  action: TxAction;
  nonce: number;
  /** The block it was last seen in; null while only sent, and once dropped. */
  block: bigint | null;
  status: TxStatus;
  /** Milliseconds since the epoch. */
  sentAt: number;
  updatedAt: number;
};

type SentTxRow = {
  tx_hash: string;
  task_id: string;
  action: TxAction;
  nonce: number;
  block: number | null;
  status: TxStatus;
  sent_at: number;
  updated_at: number;
};

/**
 * What a node SENT, kept apart from what the chain CONFIRMED (the task
 * journal): every protocol transaction with its nonce, the block it was seen
 * in and whether it is mined, confirmed or dropped by a reorg.
 */
export class SentTxJournal {
  readonly #db: Database.Database;
  readonly #now: () => number;

  /** Use `openStore` rather than constructing this directly. */
  constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Records a transaction the endpoint accepted, before its receipt, for each of `taskIds`. */
  recordSent(params: { taskIds: readonly bigint[]; action: TxAction; txHash: Hex; nonce: number }): void {
    const at = this.#now();
    const insert = this.#db.prepare(
      `INSERT OR IGNORE INTO sent_txs (tx_hash, task_id, action, nonce, block, status, sent_at, updated_at)
       VALUES (?, ?, ?, ?, NULL, 'sent', ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const taskId of params.taskIds) {
        insert.run(params.txHash.toLowerCase(), taskId.toString(10), params.action, params.nonce, at, at);
      }
    })();
  }

  /** Moves a transaction (every task row of it) to `status`, seen in `block` (null when dropped). */
  mark(txHash: Hex, status: TxStatus, block: bigint | null): void {
    this.#db
      .prepare('UPDATE sent_txs SET status = ?, block = ?, updated_at = ? WHERE tx_hash = ?')
      .run(status, block === null ? null : Number(block), this.#now(), txHash.toLowerCase());
  }

  /** Transactions sent or mined but not confirmed yet, one per hash, oldest first. */
  unconfirmed(): SentTx[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM sent_txs WHERE status IN ('sent', 'mined') GROUP BY tx_hash ORDER BY sent_at, rowid`,
      )
      .all() as SentTxRow[];
    return rows.map(toSentTx);
  }

  /** Every transaction sent for `taskId`, oldest first. */
  forTask(taskId: bigint): SentTx[] {
    const rows = this.#db
      .prepare('SELECT * FROM sent_txs WHERE task_id = ? ORDER BY sent_at, rowid')
      .all(taskId.toString(10)) as SentTxRow[];
    return rows.map(toSentTx);
  }
}

function toSentTx(row: SentTxRow): SentTx {
  return {
    txHash: row.tx_hash as Hex,
    taskId: BigInt(row.task_id),
    action: row.action,
    nonce: row.nonce,
    block: row.block === null ? null : BigInt(row.block),
    status: row.status,
    sentAt: row.sent_at,
    updatedAt: row.updated_at,
  };
}

import type Database from 'better-sqlite3';
import { StoreSchemaTooNewError } from './errors.ts';

/**
 * Schema migrations, applied in order. Entry `i` moves the database from
 * `user_version = i` to `i + 1`. Append new entries; never edit old ones.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tasks (
    task_id       TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    result_digest TEXT NOT NULL,
    salt          TEXT NOT NULL,
    commit_tx     TEXT,
    reveal_tx     TEXT,
    claim_tx      TEXT,
    failure       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX tasks_by_state ON tasks(state);
  CREATE TABLE task_transitions (
    task_id TEXT NOT NULL,
    state   TEXT NOT NULL,
    tx_hash TEXT,
    at      INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX task_transitions_by_task ON task_transitions(task_id);
  CREATE TABLE peers (
    peer_id    TEXT PRIMARY KEY,
    multiaddrs TEXT NOT NULL,
    last_seen  INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  // Reorg safety: why a transition was made (a rewind names the dropped transaction), the spec a
  // result was computed for (a reorg can give a task id to another task), every
  // protocol transaction sent and how deep it is, and every task the node follows until the chain
  // at the confirmed height needs nothing more (tasks journaled before this version are followed
  // again, so a task a reorg un-settled is finished after the upgrade).
  `
  ALTER TABLE task_transitions ADD COLUMN reason TEXT;
  ALTER TABLE tasks ADD COLUMN spec_digest TEXT;
  CREATE TABLE sent_txs (
    tx_hash    TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    nonce      INTEGER NOT NULL,
    block      INTEGER,
    status     TEXT NOT NULL,
    sent_at    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tx_hash, task_id)
  ) STRICT;
  CREATE INDEX sent_txs_by_status ON sent_txs(status);
  CREATE INDEX sent_txs_by_task ON sent_txs(task_id);
  CREATE TABLE followed_tasks (
    task_id     TEXT PRIMARY KEY,
    done_at     INTEGER,
    done_reason TEXT
  ) STRICT;
  INSERT INTO followed_tasks (task_id) SELECT task_id FROM tasks;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to `SCHEMA_VERSION`, each step in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreSchemaTooNewError(`The store's schema version ${current} is newer than this node's.`, {
      details: `supported up to ${SCHEMA_VERSION}`,
      hint: 'Upgrade Concord, or point --data at another directory.',
    });
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v]!;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlobStore, DEFAULT_MAX_BLOB_BYTES } from './blobStore.ts';
import { mkdirDurable } from './fsync.ts';
import { TaskJournal } from './journal.ts';
import { migrate } from './migrations.ts';
import { PeerBook } from './peers.ts';
import { SentTxJournal } from './sentTxs.ts';
import { Settings } from './settings.ts';

/** Options of `openStore`. */
export type OpenStoreOptions = {
  /** Largest blob accepted (bytes); default 1 GiB. */
  maxBlobBytes?: number;
  /** Clock for journal timestamps (ms since the epoch); default `Date.now`. */
  now?: () => number;
};

/** A node's embedded state: the task journal, the sent transactions, blobs, known peers and settings. */
export type Store = {
  readonly dataDir: string;
  readonly journal: TaskJournal;
  /** The protocol transactions the node sent, and how deep each is. */
  readonly sentTxs: SentTxJournal;
  readonly blobs: BlobStore;
  readonly peers: PeerBook;
  readonly settings: Settings;
  /** Closes the database (blobs need no closing). */
  close(): void;
};

/**
 * Opens (creating if needed) the store in `dataDir`: `node.db` (SQLite, WAL,
 * `synchronous=FULL`, migrated to the current schema) and `blobs/`.
 */
export function openStore(dataDir: string, options: OpenStoreOptions = {}): Store {
  mkdirDurable(dataDir);
  const db = new Database(join(dataDir, 'node.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const now = options.now ?? Date.now;
  return {
    dataDir,
    journal: new TaskJournal(db, now),
    sentTxs: new SentTxJournal(db, now),
    blobs: new BlobStore(join(dataDir, 'blobs'), options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES),
    peers: new PeerBook(db, now),
    settings: new Settings(db),
    close() {
      db.close();
    },
  };
}

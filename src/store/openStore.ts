import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlobStore, DEFAULT_MAX_BLOB_BYTES } from './blobStore.ts';
import { asDiskFull, mappingDiskFull } from './diskFull.ts';
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
 * `synchronous=FULL`, migrated to the current schema) and `blobs/`. Every
 * write that finds the disk full throws `DiskFullError`.
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
    throw asDiskFull(err, 'open the database');
  }
  const now = options.now ?? Date.now;
  return {
    dataDir,
    journal: mappingDiskFull(new TaskJournal(db, now), 'journal'),
    sentTxs: mappingDiskFull(new SentTxJournal(db, now), 'sent transactions'),
    blobs: new BlobStore(join(dataDir, 'blobs'), options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES),
    peers: mappingDiskFull(new PeerBook(db, now), 'peer book'),
    settings: mappingDiskFull(new Settings(db), 'settings'),
    close() {
      db.close();
    },
  };
}

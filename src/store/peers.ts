import type Database from 'better-sqlite3';
import { PeerRecordError } from './errors.ts';

/** A peer this node has seen, with where to reach it. */
export type KnownPeer = {
  peerId: string;
  multiaddrs: string[];
  /** Milliseconds since the epoch. */
  lastSeen: number;
};

/** The table of known peers, used to reconnect after a restart without bootstrap nodes. */
export class PeerBook {
  readonly #db: Database.Database;
  readonly #now: () => number;

  /** Use `openStore` rather than constructing this directly. */
  constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Inserts or refreshes a peer; `lastSeen` defaults to now. */
  upsert(peerId: string, multiaddrs: readonly string[], lastSeen: number = this.#now()): void {
    if (typeof peerId !== 'string' || peerId.length === 0) {
      throw new PeerRecordError('A known peer needs a non-empty peer id.');
    }
    if (!multiaddrs.every((a) => typeof a === 'string' && a.startsWith('/'))) {
      throw new PeerRecordError(`Peer ${peerId} has an address that is not a multiaddr.`, {
        hint: 'Multiaddrs look like /ip4/127.0.0.1/tcp/4001.',
      });
    }
    this.#db
      .prepare(
        `INSERT INTO peers (peer_id, multiaddrs, last_seen) VALUES (?, ?, ?)
         ON CONFLICT(peer_id) DO UPDATE SET multiaddrs = excluded.multiaddrs, last_seen = excluded.last_seen`,
      )
      .run(peerId, JSON.stringify(multiaddrs), lastSeen);
  }

  /** One peer, or `undefined`. */
  get(peerId: string): KnownPeer | undefined {
    const row = this.#db.prepare('SELECT * FROM peers WHERE peer_id = ?').get(peerId) as PeerRow | undefined;
    return row ? toPeer(row) : undefined;
  }

  /** Peers, most recently seen first. */
  list(limit = 1000): KnownPeer[] {
    const rows = this.#db
      .prepare('SELECT * FROM peers ORDER BY last_seen DESC, peer_id LIMIT ?')
      .all(limit) as PeerRow[];
    return rows.map(toPeer);
  }

  /** Forgets one peer; returns whether it was known. */
  forget(peerId: string): boolean {
    return this.#db.prepare('DELETE FROM peers WHERE peer_id = ?').run(peerId).changes > 0;
  }

  /** Forgets peers not seen since `before` (ms); returns how many were removed. */
  pruneBefore(before: number): number {
    return this.#db.prepare('DELETE FROM peers WHERE last_seen < ?').run(before).changes;
  }
}

type PeerRow = { peer_id: string; multiaddrs: string; last_seen: number };

function toPeer(row: PeerRow): KnownPeer {
  return { peerId: row.peer_id, multiaddrs: JSON.parse(row.multiaddrs) as string[], lastSeen: row.last_seen };
}

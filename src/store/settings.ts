import type Database from 'better-sqlite3';

/** A small durable key-value table for node settings (strings only). */
export class Settings {
  readonly #db: Database.Database;

  /** Use `openStore` rather than constructing this directly. */
  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The value, or `undefined` if unset. */
  get(key: string): string | undefined {
    const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Sets (or replaces) a value. */
  set(key: string, value: string): void {
    this.#db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** Removes a key; returns whether it existed. */
  delete(key: string): boolean {
    return this.#db.prepare('DELETE FROM settings WHERE key = ?').run(key).changes > 0;
  }
}

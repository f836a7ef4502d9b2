import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './migrations.ts';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const { dir, cleanup } = tempDir('migrations');
after(cleanup);

test('a new store is at the current schema version, in WAL mode', () => {
  const store = openStore(dir);
  store.close();
  const db = new Database(join(dir, 'node.db'));
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('a store written by a newer schema is refused with StoreSchemaTooNewError', () => {
  const db = new Database(join(dir, 'node.db'));
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openStore(dir), { name: 'StoreSchemaTooNewError' });
});

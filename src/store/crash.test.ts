import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Hex } from 'viem';
import { crashBlobBytes, crashHex, crashModelBytes } from './crashFixtureData.ts';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const KILLS = 20;
/** The suffix of a model blob's opening file beside it. */
const OPENING = '.opening';
const { dir, cleanup } = tempDir('crash');
after(cleanup);
const root = new URL('../..', import.meta.url).pathname;
const fixture = new URL('./crashWriter.fixture.ts', import.meta.url).pathname;

/** A tiny seeded generator so the kill points vary but a failing run can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Runs the writer from record `first`, kills it after `acks` acknowledgements plus `delayMs`; returns the acks. */
function runAndKill(first: number, acks: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './src/polyfill.ts', fixture, dir, String(first)],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    let killing = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n').length - 2;
      if (!killing && lines >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${text.slice(-500)}`));
      // Only complete lines are acknowledgements; a torn last line was never acknowledged.
      else resolve(text.split('\n').slice(0, -1));
    });
  });
}

test(`${KILLS} SIGKILLs at random points lose nothing acknowledged and leave nothing half-written`, async () => {
  const random = lcg(20261125);
  const salts = new Set<number>();
  const commits = new Set<number>();
  const blobs = new Map<number, Hex>();
  const models = new Map<number, Hex>();
  let tornWrites = 0;
  for (let round = 0; round < KILLS; round++) {
    const acks = await runAndKill(round * 10_000, 1 + Math.floor(random() * 12), Math.floor(random() * 25));
    assert.equal(acks[0], 'ready');
    for (const line of acks.slice(1)) {
      const [kind, i, digest] = line.split(' ');
      if (kind === 'S') salts.add(Number(i));
      else if (kind === 'C') commits.add(Number(i));
      else if (kind === 'B') blobs.set(Number(i), digest as Hex);
      else if (kind === 'M') models.set(Number(i), digest as Hex);
    }
    tornWrites += readdirSync(join(dir, 'blobs', 'tmp')).length;
    const store = openStore(dir);
    try {
      for (const i of salts) {
        const rec = store.journal.get(BigInt(i));
        assert.equal(rec?.salt, crashHex(i, 2), `salt of ${i} acknowledged but lost`);
      }
      for (const i of commits) {
        const rec = store.journal.get(BigInt(i));
        assert.equal(rec?.state, 'committed');
        assert.equal(rec?.commitTx, crashHex(i, 3));
      }
      for (const [i, digest] of blobs) assert.deepEqual(store.blobs.getBlob(digest), crashBlobBytes(i));
      for (const [i, digest] of models) {
        assert.deepEqual(store.blobs.getBlob(digest), crashModelBytes(i));
        assert.ok(store.blobs.openingOf(digest), `model ${i} acknowledged without its opening`);
      }
      // Every blob file on disk, acknowledged or not, is whole: getBlob verifies its digest (a
      // model blob's through its opening, which is there); every opening file opens its digest.
      for (const file of blobFiles(join(dir, 'blobs'))) {
        if (file.endsWith(OPENING)) store.blobs.openingOf(`0x${file.slice(0, -OPENING.length)}`);
        else store.blobs.getBlob(`0x${file}`);
      }
      assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
    } finally {
      store.close();
    }
  }
  const db = new Database(join(dir, 'node.db'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  assert.ok(models.size > 0 && commits.size > 0, 'the kills landed after some acknowledgements');
  console.log(
    `# ${salts.size} salts, ${commits.size} commits, ${blobs.size} blobs, ${models.size} models acknowledged; ${tornWrites} kills mid-blob`,
  );
});

function blobFiles(blobRoot: string): string[] {
  return readdirSync(blobRoot)
    .filter((a) => a !== 'tmp')
    .flatMap((a) => readdirSync(join(blobRoot, a)).flatMap((b) => readdirSync(join(blobRoot, a, b))));
}

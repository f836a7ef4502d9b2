import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Hex } from 'viem';
import { modelDigest } from '../model/pieces/digest.ts';
import { checkpointOpening } from '../tasks/checkpointPieces.ts';
import { tinyCheckpoint } from '../tasks/mlFixtures.ts';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

// Model blobs: checkpoints stored under their model digest with their opening beside them.
const { dir, cleanup } = tempDir('model-blobs');
after(cleanup);
const store = openStore(dir);
after(() => store.close());
const blobs = store.blobs;

/** Independent reference: sha2-256 as 0x + hex. */
const sha256 = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

test('putModel stores a checkpoint under its model digest, with its opening beside it', async () => {
  const bytes = tinyCheckpoint(3);
  const opening = checkpointOpening(bytes);
  const digest = blobs.putModel(bytes);
  assert.equal(digest, modelDigest(opening));
  assert.equal(opening.fileDigest, sha256(bytes));
  assert.notEqual(digest, sha256(bytes), 'not the plain blob digest');
  assert.ok(blobs.hasBlob(digest));
  assert.equal(blobs.hasBlob(sha256(bytes)), false);
  assert.deepEqual(blobs.getBlob(digest), bytes);
  assert.equal(blobs.blobSize(digest), bytes.byteLength);
  assert.deepEqual(blobs.openingOf(digest), opening);
  assert.ok(existsSync(`${blobs.pathOf(digest)}.opening`));
  const read = await blobs.openRead(digest, 4096);
  assert.deepEqual(read.opening, opening);
  assert.deepEqual(await collect(read.chunks), Buffer.from(bytes));
  assert.equal(blobs.putModel(bytes), digest, 'storing again is harmless');
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), [], 'no temp file left behind');
});

test('plain blobs keep their sha256 and have no opening; a fresh store reads the opening from disk', () => {
  const plain = new TextEncoder().encode('not a model');
  const digest = blobs.putBlob(plain);
  assert.equal(digest, sha256(plain));
  assert.equal(blobs.openingOf(digest), undefined);
  const model = blobs.putModel(tinyCheckpoint(4));
  const again = openStore(dir);
  try {
    assert.deepEqual(again.blobs.openingOf(model), checkpointOpening(tinyCheckpoint(4)));
    assert.deepEqual(again.blobs.getBlob(model), tinyCheckpoint(4));
  } finally {
    again.close();
  }
});

test('bytes that are no checkpoint are refused by putModel with a named error, nothing stored', () => {
  const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => blobs.putModel(junk), { name: 'BlobNotCheckpointError' });
  assert.equal(blobs.hasBlob(sha256(junk)), false);
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
});

test('a corrupted model blob, or an opening file that does not open the digest, is BlobCorruptError', async () => {
  const { dir: d2, cleanup: c2 } = tempDir('model-blobs-corrupt');
  const s = openStore(d2);
  try {
    const bytes = tinyCheckpoint(5);
    const digest = s.blobs.putModel(bytes);
    const path = s.blobs.pathOf(digest);
    const damaged = Buffer.from(readFileSync(path));
    damaged[1000] = damaged[1000]! ^ 1;
    writeFileSync(path, damaged);
    assert.throws(() => s.blobs.getBlob(digest), { name: 'BlobCorruptError' });
    await assert.rejects(async () => await collect((await s.blobs.openRead(digest)).chunks), {
      name: 'BlobCorruptError',
    });
    s.blobs.deleteBlob(digest);
    assert.equal(s.blobs.hasBlob(digest), false);
    assert.equal(existsSync(`${path}.opening`), false, 'deleteBlob removes the opening too');
    assert.equal(s.blobs.openingOf(digest), undefined);
    assert.equal(s.blobs.putModel(bytes), digest, 'a fresh copy repairs it');

    // Another model's opening in the file (read by a store that has not cached it).
    writeFileSync(`${path}.opening`, JSON.stringify(checkpointOpening(tinyCheckpoint(6))));
    const fresh = openStore(d2);
    try {
      assert.throws(() => fresh.blobs.openingOf(digest), { name: 'BlobCorruptError' });
      assert.throws(() => fresh.blobs.getBlob(digest), { name: 'BlobCorruptError' });
      writeFileSync(`${path}.opening`, '{"root":"0x12"}');
      assert.throws(() => fresh.blobs.getBlob(digest), { name: 'BlobCorruptError' });
    } finally {
      fresh.close();
    }
  } finally {
    s.close();
    c2();
  }
});

test('a streamed model commit checks the bytes against the opening and the digest against the expected one', () => {
  const bytes = tinyCheckpoint(7);
  const opening = checkpointOpening(bytes);
  const other = checkpointOpening(tinyCheckpoint(8));
  const commitWith = (expected: Hex | undefined, with_: typeof opening): Hex => {
    const w = blobs.createWriter();
    try {
      w.write(bytes);
      return w.commit(expected, with_);
    } finally {
      w.abort();
    }
  };
  assert.throws(() => commitWith(undefined, other), { name: 'BlobWriteMismatchError' });
  assert.throws(() => commitWith(modelDigest(other), { root: other.root, fileDigest: opening.fileDigest }), {
    name: 'BlobWriteMismatchError',
  });
  assert.equal(blobs.hasBlob(modelDigest(other)), false);
  assert.equal(blobs.hasBlob(modelDigest({ root: other.root, fileDigest: opening.fileDigest })), false);
  assert.equal(commitWith(modelDigest(opening), opening), modelDigest(opening));
  assert.deepEqual(blobs.getBlob(modelDigest(opening)), bytes);
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
});

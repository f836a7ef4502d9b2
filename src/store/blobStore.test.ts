import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const { dir, cleanup } = tempDir('blobs');
after(cleanup);
const store = openStore(dir, { maxBlobBytes: 1024 * 1024 });
after(() => store.close());
const blobs = store.blobs;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Independent reference: sha2-256 as 0x + hex. */
const digestBytes = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

test('putBlob returns the sha2-256 digest of any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      assert.equal(blobs.putBlob(bytes), digestBytes(bytes));
    }),
    { numRuns: 30 },
  );
});

test('putBlob stores under blobs/ab/cd/<hex> and getBlob returns the same bytes', () => {
  const bytes = new TextEncoder().encode('hello concord');
  const digest = blobs.putBlob(bytes);
  assert.equal(digest, digestBytes(bytes));
  const hex = digest.slice(2);
  assert.equal(blobs.pathOf(digest), join(dir, 'blobs', hex.slice(0, 2), hex.slice(2, 4), hex));
  assert.deepEqual(blobs.getBlob(digest), bytes);
  assert.ok(blobs.hasBlob(digest));
  assert.equal(blobs.blobSize(digest), bytes.byteLength);
  assert.equal(blobs.putBlob(bytes), digest, 'storing again is harmless');
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), [], 'no temp file left behind');
});

test('the empty blob is a blob', () => {
  const digest = blobs.putBlob(new Uint8Array());
  assert.equal(blobs.getBlob(digest).byteLength, 0);
});

test('a corrupted blob file is detected by getBlob and by a streaming read', async () => {
  const bytes = new Uint8Array(300_000).map((_, i) => i * 7);
  const digest = blobs.putBlob(bytes);
  const path = blobs.pathOf(digest);
  const damaged = Buffer.from(readFileSync(path));
  damaged[123_456] = (damaged[123_456]! + 1) & 255;
  writeFileSync(path, damaged);
  assert.throws(() => blobs.getBlob(digest), { name: 'BlobCorruptError' });
  const read = await blobs.openRead(digest, 65536);
  await assert.rejects(collect(read.chunks), { name: 'BlobCorruptError' });
  writeFileSync(path, damaged.subarray(0, 1000));
  assert.throws(() => blobs.getBlob(digest), { name: 'BlobCorruptError' });
  blobs.deleteBlob(digest);
  assert.equal(blobs.hasBlob(digest), false);
  assert.deepEqual(blobs.getBlob(blobs.putBlob(bytes)), bytes, 'a fresh copy repairs it');
});

test('streaming write and read round-trip in chunks', async () => {
  const bytes = new Uint8Array(700_001).map((_, i) => (i * 31) >> 3);
  const w = blobs.createWriter();
  for (let off = 0; off < bytes.length; off += 99_999) w.write(bytes.subarray(off, off + 99_999));
  assert.equal(w.bytesWritten, bytes.length);
  const digest = w.commit(digestBytes(bytes));
  assert.throws(() => w.write(bytes), { name: 'BlobWriterClosedError' });
  const read = await blobs.openRead(digest, 256 * 1024);
  assert.equal(read.size, bytes.length);
  assert.deepEqual(await collect(read.chunks), Buffer.from(bytes));
});

test('a streamed blob that does not match the expected digest never appears', () => {
  const w = blobs.createWriter();
  w.write(new Uint8Array([1, 2, 3]));
  const wanted = digestBytes(new Uint8Array([1, 2, 4]));
  assert.throws(() => w.commit(wanted), { name: 'BlobWriteMismatchError' });
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), [], 'a failed commit cleans up by itself');
  w.abort();
  assert.equal(blobs.hasBlob(wanted), false);
  assert.equal(blobs.hasBlob(digestBytes(new Uint8Array([1, 2, 3]))), false);
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
});

test('blobs over the size limit are refused; bad digests and missing blobs are named', async () => {
  assert.throws(() => blobs.putBlob(new Uint8Array(1024 * 1024 + 1)), { name: 'BlobSizeLimitError' });
  assert.throws(() => blobs.getBlob('0x1234'), { name: 'BlobDigestFormatError' });
  assert.throws(() => blobs.hasBlob('../../etc/passwd' as Hex), { name: 'BlobDigestFormatError' });
  const missing = digestBytes(new Uint8Array([9, 9, 9]));
  assert.throws(() => blobs.getBlob(missing), { name: 'BlobNotStoredError' });
  await assert.rejects(blobs.openRead(missing), { name: 'BlobNotStoredError' });
  assert.equal(blobs.blobSize(missing), undefined);
});

test('temp files left by a crashed write are removed when the store opens', () => {
  const { dir: d2, cleanup: c2 } = tempDir('blobs-tmp');
  try {
    const s = openStore(d2);
    const w = s.blobs.createWriter();
    w.write(new Uint8Array(10));
    s.close();
    assert.equal(readdirSync(join(d2, 'blobs', 'tmp')).length, 1);
    openStore(d2).close();
    assert.deepEqual(readdirSync(join(d2, 'blobs', 'tmp')), []);
  } finally {
    c2();
  }
});

test('streaming reads of multi-block blobs, with early exit, return exact bytes and release the file', async () => {
  const { dir: d2, cleanup: c2 } = tempDir('blobs-big');
  const big = openStore(d2);
  try {
    const bytes = new Uint8Array(2.5 * 1024 * 1024 + 17).map((_, i) => (i * 2654435761) >>> 24);
    const digest = big.blobs.putBlob(bytes);
    const read = await big.blobs.openRead(digest, 300_000);
    const chunks: Uint8Array[] = [];
    for await (const c of read.chunks) chunks.push(c);
    assert.ok(chunks.every((c) => c.byteLength <= 300_000));
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytes));
    const partial = await big.blobs.openRead(digest);
    for await (const _ of partial.chunks) break;
    const empty = await big.blobs.openRead(big.blobs.putBlob(new Uint8Array()));
    assert.equal((await collect(empty.chunks)).byteLength, 0);
  } finally {
    big.close();
    c2();
  }
});

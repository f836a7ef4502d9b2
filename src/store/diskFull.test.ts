import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DISK_HEADROOM_BYTES } from './blobStore.ts';
import { DiskFullError } from './errors.ts';
import { openStore, type Store } from './openStore.ts';
import { fillDisk, mountSmallDisk, type SmallDisk } from './testing.ts';

// A real 1 MiB tmpfs filled to the last byte: the store's writes must fail
// as DiskFullError (code DISK_FULL), leave nothing half-written, and work
// again once the filler is deleted.
const disk: SmallDisk = mountSmallDisk('diskfull', '1m');
const skip = 'skip' in disk ? disk.skip : false;
let store: Store;
let dir: string;

describe('a store on a full disk', { skip }, () => {
  before(() => {
    if ('skip' in disk) return;
    dir = join(disk.dir, 'data');
    store = openStore(dir);
    store.settings.set('position', '1');
    store.journal.recordComputed({
      taskId: 1n,
      resultDigest: `0x${'11'.repeat(32)}`,
      salt: `0x${'22'.repeat(32)}`,
    });
  });

  after(() => {
    store?.close();
    if (!('skip' in disk)) disk.unmount();
  });

  test('blob writes throw DiskFullError, leave no temp file, and work again when space returns', () => {
    const filler = fillDisk(disk.dir as string, 2 * DISK_HEADROOM_BYTES);
    const blob = new Uint8Array(2 * DISK_HEADROOM_BYTES).fill(7);
    assert.throws(
      () => store.blobs.putBlob(blob),
      (err: unknown) => {
        assert.ok(err instanceof DiskFullError);
        assert.equal(err.code, 'DISK_FULL');
        return true;
      },
    );
    // A writer bypassing the room check fails at ENOSPC itself, as DiskFullError.
    const writer = store.blobs.createWriter();
    assert.throws(() => {
      for (let i = 0; i < 8; i++) writer.write(blob);
    }, DiskFullError);
    writer.abort();
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
    rmSync(filler);
    const digest = store.blobs.putBlob(blob);
    assert.equal(store.blobs.getBlob(digest).byteLength, blob.byteLength);
  });

  test('a blob refused for lack of room is let through again only once it fits', () => {
    const digest = `0x${'ab'.repeat(32)}` as const;
    store.blobs.ensureRoomToRetry(digest); // never refused: passes
    const filler = fillDisk(disk.dir as string, DISK_HEADROOM_BYTES);
    assert.throws(() => store.blobs.ensureRoom(64 * 1024, digest), DiskFullError);
    assert.throws(() => store.blobs.ensureRoomToRetry(digest), DiskFullError);
    rmSync(filler);
    store.blobs.ensureRoomToRetry(digest);
  });

  test('SQLITE_FULL from the journal and the settings throws DiskFullError; both work after', () => {
    const filler = fillDisk(disk.dir as string);
    const failures: unknown[] = [];
    // Enough writes to outgrow any WAL pages already on disk.
    for (let i = 0; i < 200 && failures.length === 0; i++) {
      try {
        store.settings.set(`key${i}`, 'x'.repeat(4000));
      } catch (err) {
        failures.push(err);
      }
    }
    assert.equal(failures.length, 1, 'a settings write failed');
    assert.ok(failures[0] instanceof DiskFullError, String(failures[0]));
    assert.match((failures[0] as DiskFullError).details ?? '', /SQLITE_FULL/);
    assert.throws(
      () =>
        store.journal.recordComputed({
          taskId: 2n,
          resultDigest: `0x${'33'.repeat(32)}`,
          salt: `0x${'44'.repeat(32)}`,
        }),
      DiskFullError,
    );
    assert.equal(store.settings.get('position'), '1', 'reads still work');
    rmSync(filler);
    store.settings.set('position', '2');
    store.journal.advance(1n, 'committed', { txHash: `0x${'55'.repeat(32)}` });
    assert.equal(store.settings.get('position'), '2');
    assert.equal(store.journal.get(1n)?.state, 'committed');
  });
});

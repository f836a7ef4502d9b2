import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { DiskFullError } from '../store/errors.ts';
import { openStore, type Store } from '../store/openStore.ts';
import { fillDisk, mountSmallDisk, type SmallDisk, tempDir } from '../store/testing.ts';
import { signBlobRequest } from './blobRequest.ts';
import { BlobServer, storeBlobSource } from './blobServer.ts';
import type { ConcordHost } from './createHost.ts';
import { fetchBlobToStore } from './fetchBlob.ts';
import { startTestHost } from './testing.ts';

// A real libp2p fetch into a store on a full 1 MiB tmpfs: the local ENOSPC
// is the store's DiskFullError (not the peer's protocol error), no partial
// file stays, and the bytes are not streamed for nothing.
const CHAIN = 31337;
const requester = privateKeyToAccount(generatePrivateKey());
const disk: SmallDisk = mountSmallDisk('fetchfull', '1m');
const tmp = tempDir('fetchfull-server');
const blob = new Uint8Array(600_000).map((_, i) => (i * 2654435761) >>> 24);
let serverStore: Store;
let clientStore: Store;
let server: ConcordHost;
let client: ConcordHost;
let blobServer: BlobServer;
let digest: Hex;

/** A fixed chain time, far from the machine's clock: expiry is judged by chain time only. */
const CHAIN_TIME = 2_000_000_000;

describe('fetching a blob onto a full disk', { skip: 'skip' in disk ? disk.skip : false }, () => {
  before(async () => {
    serverStore = openStore(join(tmp.dir, 'server'));
    clientStore = openStore(join(disk.dir as string, 'client'));
    digest = serverStore.blobs.putBlob(blob);
    server = await startTestHost();
    client = await startTestHost();
    blobServer = new BlobServer(server, {
      chainId: CHAIN,
      source: storeBlobSource(serverStore.blobs),
      authorize: async () => true,
      chainTime: async () => CHAIN_TIME,
    });
    await blobServer.start();
  });

  after(async () => {
    await Promise.all([server?.stop(), client?.stop()]);
    serverStore?.close();
    clientStore?.close();
    tmp.cleanup();
    if (!('skip' in disk)) disk.unmount();
  });

  test('fails with DISK_FULL before streaming, leaves no file, and succeeds once space returns', async () => {
    const filler = fillDisk(disk.dir as string);
    const fetchOnce = async () =>
      await fetchBlobToStore(client, {
        peer: server.getMultiaddrs(),
        request: await signBlobRequest(requester, {
          digest,
          chainId: CHAIN,
          purpose: 'pool',
          context: '1',
          chainTime: CHAIN_TIME,
        }),
        blobs: clientStore.blobs,
      });
    await assert.rejects(fetchOnce(), (err: unknown) => {
      assert.ok(err instanceof DiskFullError, `got ${String(err)}`);
      assert.equal(err.code, 'DISK_FULL');
      return true;
    });
    assert.equal(clientStore.blobs.hasBlob(digest), false);
    assert.deepEqual(readdirSync(join(disk.dir as string, 'client', 'blobs', 'tmp')), []);
    assert.ok(
      blobServer.stats.bytesServed < blob.byteLength,
      `served ${blobServer.stats.bytesServed} of ${blob.byteLength} bytes`,
    );
    assert.throws(() => clientStore.blobs.ensureRoomToRetry(digest), DiskFullError);
    rmSync(filler);
    clientStore.blobs.ensureRoomToRetry(digest);
    assert.equal(await fetchOnce(), digest);
    assert.equal(clientStore.blobs.getBlob(digest).byteLength, blob.byteLength);
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { openStore, type Store } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { signBlobRequest } from './blobRequest.ts';
import { BlobServer, storeBlobSource } from './blobServer.ts';
import { BLOB_PROTOCOL } from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { fetchBlob } from './fetchBlob.ts';
import { startTestHost, waitFor } from './testing.ts';

const CHAIN = 7;
/** The chain time both sides read (this machine's clock plays no part). */
const CHAIN_TIME = 2_000_000_000;
const account = privateKeyToAccount(generatePrivateKey());
const blob = new Uint8Array(10 * 1024 * 1024).map((_, i) => (i * 40503) >>> 8);
const tmp = tempDir('blob-limits');
let store: Store;
let digest: Hex;
let server: ConcordHost;
let client: ConcordHost;
let blobServer: BlobServer;
let addr: Multiaddr;

before(async () => {
  store = openStore(tmp.dir);
  digest = store.blobs.putBlob(blob);
  server = await startTestHost();
  client = await startTestHost();
  addr = server.getMultiaddrs()[0]!;
  blobServer = new BlobServer(server, {
    chainId: CHAIN,
    chainTime: async () => CHAIN_TIME,
    source: storeBlobSource(store.blobs),
    authorize: async (q) => q.context !== 'deny',
    maxRememberedNonces: 6,
  });
  await blobServer.start();
});

after(async () => {
  await Promise.all([server.stop(), client.stop()]);
  store.close();
  tmp.cleanup();
});

const request = () =>
  signBlobRequest(account, {
    digest,
    chainId: CHAIN,
    purpose: 'host',
    context: 'q/0',
    chainTime: CHAIN_TIME,
  });

test('parallel fetches each get the whole blob', async () => {
  const results = await Promise.all(
    [1, 2, 3].map(async () => fetchBlob(client, { peer: addr, request: await request() })),
  );
  for (const r of results) assert.deepEqual(r, blob);
});

test('a client that aborts mid-transfer leaves the server healthy', async () => {
  const controller = new AbortController();
  let progress = 0;
  const pending = fetchBlob(client, {
    peer: addr,
    request: await request(),
    signal: controller.signal,
    onProgress: (received, size) => {
      assert.equal(size, blob.byteLength);
      progress = received;
      controller.abort();
    },
  });
  await assert.rejects(pending, { name: 'BlobFetchAbortedError' });
  assert.ok(progress > 0 && progress < blob.byteLength, `aborted after ${progress} bytes`);
  await waitFor(() => blobServer.stats.failed >= 1, 'the server to notice the abort');
  assert.deepEqual(await fetchBlob(client, { peer: addr, request: await request() }), blob);
});

test('a silent client is cut off by the server timeout; the server keeps serving', async () => {
  const impatient = await startTestHost();
  try {
    const server2 = new BlobServer(impatient, {
      chainId: CHAIN,
      chainTime: async () => CHAIN_TIME,
      source: storeBlobSource(store.blobs),
      authorize: async () => true,
      timeoutMs: 300,
    });
    await server2.start();
    const peer = impatient.getMultiaddrs()[0]!;
    const stream = await client.dialProtocol(peer, BLOB_PROTOCOL);
    await new Promise((resolve) => stream.addEventListener('close', resolve, { once: true }));
    assert.notEqual(stream.status, 'open');
    const small = new Uint8Array(1000).fill(3);
    const smallDigest = store.blobs.putBlob(small);
    const smallRequest = await signBlobRequest(account, {
      digest: smallDigest,
      chainId: CHAIN,
      purpose: 'host',
      context: 's',
      chainTime: CHAIN_TIME,
    });
    assert.deepEqual(await fetchBlob(client, { peer, request: smallRequest }), small);
  } finally {
    await impatient.stop();
  }
});

test('when the nonce memory is full of live nonces the server answers BUSY; refused requests take no room', async () => {
  for (let i = 0; i < 10; i++) {
    const denied = await signBlobRequest(account, {
      digest,
      chainId: CHAIN,
      purpose: 'host',
      context: 'deny',
      chainTime: CHAIN_TIME,
    });
    await assert.rejects(fetchBlob(client, { peer: addr, request: denied }), {
      name: 'BlobFetchUnauthorizedError',
    });
  }
  assert.equal(blobServer.stats.refused.BUSY ?? 0, 0);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 10; i++) await fetchBlob(client, { peer: addr, request: await request() });
    })(),
    { name: 'BlobFetchBusyError' },
  );
  assert.ok((blobServer.stats.refused.BUSY ?? 0) >= 1);
});

test('a failing rights check or blob source is UNAVAILABLE, not a crash', async () => {
  const flaky = await startTestHost();
  try {
    let failAuthorize = true;
    await new BlobServer(flaky, {
      chainId: CHAIN,
      chainTime: async () => CHAIN_TIME,
      authorize: async () => {
        if (failAuthorize) throw new Error('chain RPC down');
        return true;
      },
      source: async () => {
        throw new Error('disk unplugged');
      },
    }).start();
    const peer = flaky.getMultiaddrs()[0]!;
    await assert.rejects(fetchBlob(client, { peer, request: await requestFresh() }), {
      name: 'BlobFetchUnavailableError',
    });
    failAuthorize = false;
    await assert.rejects(fetchBlob(client, { peer, request: await requestFresh() }), {
      name: 'BlobFetchUnavailableError',
    });
  } finally {
    await flaky.stop();
  }
});

/** A request for a server with its own (empty) nonce memory. */
const requestFresh = () =>
  signBlobRequest(account, {
    digest,
    chainId: CHAIN,
    purpose: 'host',
    context: 'q/1',
    chainTime: CHAIN_TIME,
  });

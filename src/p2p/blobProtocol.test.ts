import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { openStore, type Store } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { signBlobRequest } from './blobRequest.ts';
import { type BlobAuthorizationQuery, BlobServer, type BlobSource, storeBlobSource } from './blobServer.ts';
import { parseResponseHeader } from './blobWire.ts';
import { BLOB_PROTOCOL, CHAIN_TIME_TOLERANCE_SECONDS } from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { fetchBlob, fetchBlobToStore } from './fetchBlob.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { startTestHost } from './testing.ts';

const CHAIN = 31337;
/** The server's reading of the chain's time: far from this machine's clock, which neither side uses. */
const CHAIN_TIME = 2_000_000_000;
let chainClock: () => Promise<number> = async () => CHAIN_TIME;
const owner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const blob = new Uint8Array(1_500_000).map((_, i) => (i * 2654435761) >>> 24);
const tmp = tempDir('blobproto');
let store: Store;
let clientStore: Store;
let digest: Hex;
let server: ConcordHost;
let client: ConcordHost;
let blobServer: BlobServer;
let serverAddr: Multiaddr;
const asked: BlobAuthorizationQuery[] = [];

before(async () => {
  store = openStore(`${tmp.dir}/server`);
  clientStore = openStore(`${tmp.dir}/client`);
  digest = store.blobs.putBlob(blob);
  server = await startTestHost();
  client = await startTestHost();
  serverAddr = server.getMultiaddrs()[0]!;
  blobServer = new BlobServer(server, {
    chainId: CHAIN,
    chainTime: () => chainClock(),
    source: storeBlobSource(store.blobs),
    authorize: async (q) => {
      asked.push(q);
      return q.requester === owner.address;
    },
  });
  await blobServer.start();
});

after(async () => {
  await Promise.all([server.stop(), client.stop()]);
  store.close();
  clientStore.close();
  tmp.cleanup();
});

const request = (signer = owner, extra: Partial<Parameters<typeof signBlobRequest>[1]> = {}) =>
  signBlobRequest(signer, {
    digest,
    chainId: CHAIN,
    purpose: 'pool',
    context: '7',
    chainTime: CHAIN_TIME,
    ...extra,
  });

/** Sends raw bytes as a request and returns the parsed header and how many bytes followed it. */
async function rawExchange(bytes: Uint8Array): Promise<{ code: string; bytesAfterHeader: number }> {
  const stream = await client.dialProtocol(serverAddr, BLOB_PROTOCOL);
  stream.send(bytes);
  await stream.close();
  const reader = new FrameReader(stream);
  const header = parseResponseHeader(await reader.readFrame(1024));
  let bytesAfterHeader = 0;
  for await (const chunk of reader.rest()) bytesAfterHeader += chunk.byteLength;
  assert.notEqual(typeof header, 'string');
  return { code: typeof header === 'object' && !header.ok ? header.code : 'OK', bytesAfterHeader };
}

const json = (v: unknown) => encodeFrame(new TextEncoder().encode(JSON.stringify(v)));

async function assertServerHealthy(): Promise<void> {
  const bytes = await fetchBlob(client, { peer: serverAddr, request: await request() });
  assert.equal(bytes.byteLength, blob.byteLength);
}

test('an authorized requester fetches the blob, streamed in chunks, byte for byte', async () => {
  const bytes = await fetchBlob(client, { peer: serverAddr, request: await request() });
  assert.deepEqual(bytes, blob);
  assert.deepEqual(asked.at(-1), { requester: owner.address, digest, purpose: 'pool', context: '7' });
  await fetchBlob(client, {
    peer: serverAddr,
    request: await request(owner, { purpose: 'task', context: '42' }),
  });
  assert.deepEqual(asked.at(-1), { requester: owner.address, digest, purpose: 'task', context: '42' });
  const stored = await fetchBlobToStore(client, {
    peer: serverAddr,
    request: await request(),
    blobs: clientStore.blobs,
  });
  assert.equal(stored, digest);
  assert.deepEqual(clientStore.blobs.getBlob(digest), blob);
});

test('an unauthorized requester gets UNAUTHORIZED and not a byte of the blob', async () => {
  const before = blobServer.stats.bytesServed;
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: await request(stranger) }), {
    name: 'BlobFetchUnauthorizedError',
  });
  const raw = await rawExchange(json(await request(stranger)));
  assert.deepEqual(raw, { code: 'UNAUTHORIZED', bytesAfterHeader: 0 });
  assert.equal(blobServer.stats.bytesServed, before);
  await assertServerHealthy();
});

test('a forged or altered signature, or one for another chain, is BAD_SIGNATURE', async () => {
  const forged = { ...(await request(stranger)), requester: owner.address as Address };
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: forged }), {
    name: 'BlobFetchBadSignatureError',
  });
  const altered = { ...(await request()), context: '8' };
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: altered }), {
    name: 'BlobFetchBadSignatureError',
  });
  await assert.rejects(
    fetchBlob(client, { peer: serverAddr, request: await request(owner, { chainId: 1 }) }),
    {
      name: 'BlobFetchBadSignatureError',
    },
  );
  await assertServerHealthy();
});

test('expired requests and requests valid for too long are EXPIRED', async () => {
  const expired = await request(owner, { chainTime: CHAIN_TIME - 3600 });
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: expired }), {
    name: 'BlobFetchExpiredError',
  });
  const tooLong = await request(owner, { chainTime: CHAIN_TIME + 3600 });
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: tooLong }), {
    name: 'BlobFetchExpiredError',
  });
  await assertServerHealthy();
});

test('expiry is judged by the chain time the server reads, with a tolerance for the two readings', async () => {
  // Valid 60 s from a reading 60 + tolerance seconds behind the server's: just inside.
  const lagging = await request(owner, { chainTime: CHAIN_TIME - 60 - CHAIN_TIME_TOLERANCE_SECONDS });
  assert.equal((await fetchBlob(client, { peer: serverAddr, request: lagging })).byteLength, blob.byteLength);
  const tooOld = await request(owner, { chainTime: CHAIN_TIME - 61 - CHAIN_TIME_TOLERANCE_SECONDS });
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: tooOld }), {
    name: 'BlobFetchExpiredError',
  });
  // A reading ahead of the server's (its RPC lags) within the tolerance is accepted.
  const ahead = await request(owner, {
    chainTime: CHAIN_TIME + CHAIN_TIME_TOLERANCE_SECONDS,
    validForSeconds: 600,
  });
  assert.equal((await fetchBlob(client, { peer: serverAddr, request: ahead })).byteLength, blob.byteLength);
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: ahead }), {
    name: 'BlobFetchReplayedError',
  });
  // The server cannot read the chain: UNAVAILABLE, before any rights check.
  const before = asked.length;
  chainClock = async () => {
    throw new Error('rpc down');
  };
  try {
    await assert.rejects(fetchBlob(client, { peer: serverAddr, request: await request() }), {
      name: 'BlobFetchUnavailableError',
    });
  } finally {
    chainClock = async () => CHAIN_TIME;
  }
  assert.equal(asked.length, before);
  await assertServerHealthy();
});

test('a replayed request is REPLAYED', async () => {
  const once = await request();
  await fetchBlob(client, { peer: serverAddr, request: once });
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: once }), {
    name: 'BlobFetchReplayedError',
  });
  await assertServerHealthy();
});

test('a replay with the nonce in another letter case is REPLAYED (EIP-712 signs both the same)', async () => {
  const once = await request();
  await fetchBlob(client, { peer: serverAddr, request: once });
  const recased = { ...once, nonce: `0x${once.nonce.slice(2).toUpperCase()}` as Hex };
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: recased }), {
    name: 'BlobFetchReplayedError',
  });
  await assertServerHealthy();
});
test('an oversize request is TOO_LARGE, refused from its length prefix alone', async () => {
  const big = { ...(await request()), context: 'x'.repeat(5000) };
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: big }), {
    name: 'BlobFetchRequestTooLargeError',
  });
  const claimsOneGiB = new Uint8Array([0x40, 0, 0, 0]);
  assert.deepEqual(await rawExchange(claimsOneGiB), { code: 'TOO_LARGE', bytesAfterHeader: 0 });
  await assertServerHealthy();
});

test('malformed bytes are MALFORMED and the server stays healthy', async () => {
  const garbage = encodeFrame(new Uint8Array([0xff, 0xfe, 0x00, 0x7b]));
  assert.equal((await rawExchange(garbage)).code, 'MALFORMED');
  assert.equal((await rawExchange(json([1, 2, 3]))).code, 'MALFORMED');
  assert.equal((await rawExchange(json({ ...(await request()), extra: 1 }))).code, 'MALFORMED');
  assert.equal((await rawExchange(json({ ...(await request()), purpose: 'other' }))).code, 'MALFORMED');
  assert.equal((await rawExchange(json({ ...(await request()), digest: '0x12' }))).code, 'MALFORMED');
  assert.equal((await rawExchange(new Uint8Array([0, 0, 0, 100, 1, 2, 3]))).code, 'MALFORMED');
  assert.equal((await rawExchange(new Uint8Array([0, 0]))).code, 'MALFORMED');
  await assert.rejects(
    fetchBlob(client, { peer: serverAddr, request: { ...(await request()), purpose: 'x' as 'pool' } }),
    { name: 'BlobFetchMalformedError' },
  );
  assert.ok((blobServer.stats.refused.MALFORMED ?? 0) >= 8);
  await assertServerHealthy();
});

test('an unknown digest is NOT_FOUND (after authorization)', async () => {
  const missing = `0x${'ab'.repeat(32)}` as Hex;
  await assert.rejects(
    fetchBlob(client, { peer: serverAddr, request: await request(owner, { digest: missing }) }),
    {
      name: 'BlobFetchNotFoundError',
    },
  );
  await assert.rejects(
    fetchBlob(client, { peer: serverAddr, request: await request(stranger, { digest: missing }) }),
    { name: 'BlobFetchUnauthorizedError' },
    'existence is not revealed to the unauthorized',
  );
});

test('the client enforces its size limit from the header and honours abort', async () => {
  await assert.rejects(fetchBlob(client, { peer: serverAddr, request: await request(), maxBytes: 1000 }), {
    name: 'BlobFetchSizeLimitError',
  });
  await assert.rejects(
    fetchBlob(client, { peer: serverAddr, request: await request(), signal: AbortSignal.abort() }),
    { name: 'BlobFetchAbortedError' },
  );
  await assertServerHealthy();
});

test('a server serving bytes that do not match the digest is rejected; nothing is stored', async () => {
  const liar = await startTestHost();
  try {
    const wrong = blob.slice();
    wrong[777] = wrong[777]! ^ 1;
    const lies: Record<string, BlobSource> = {
      tampered: async () => ({ size: wrong.byteLength, chunks: toAsync([wrong]) }),
      short: async () => ({ size: blob.byteLength, chunks: toAsync([blob.subarray(0, 1000)]) }),
      long: async () => ({ size: 10, chunks: toAsync([blob.subarray(0, 1000)]) }),
      stalled: async () => ({ size: blob.byteLength, chunks: toAsync([], new Promise(() => {})) }),
    };
    let mode = 'tampered';
    const liarServer = new BlobServer(liar, {
      chainId: CHAIN,
      chainTime: async () => CHAIN_TIME,
      authorize: async () => true,
      source: (d) => lies[mode]!(d),
    });
    await liarServer.start();
    const peer = liar.getMultiaddrs()[0]!;
    const { dir, cleanup } = tempDir('liar-client');
    const victim = openStore(dir);
    try {
      await assert.rejects(fetchBlob(client, { peer, request: await request() }), {
        name: 'BlobDigestMismatchError',
      });
      await assert.rejects(
        fetchBlobToStore(client, { peer, request: await request(), blobs: victim.blobs }),
        {
          name: 'BlobDigestMismatchError',
        },
      );
      assert.equal(victim.blobs.hasBlob(digest), false);
      mode = 'short';
      await assert.rejects(fetchBlob(client, { peer, request: await request() }), {
        name: 'BlobFetchProtocolError',
      });
      mode = 'long';
      await assert.rejects(fetchBlob(client, { peer, request: await request() }), {
        name: 'BlobFetchProtocolError',
      });
      mode = 'stalled';
      await assert.rejects(fetchBlob(client, { peer, request: await request(), timeoutMs: 500 }), {
        name: 'BlobFetchTimeoutError',
      });
    } finally {
      victim.close();
      cleanup();
    }
  } finally {
    await liar.stop();
  }
});

async function* toAsync(chunks: Uint8Array[], hang?: Promise<never>): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
  if (hang) await hang;
}

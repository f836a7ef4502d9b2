import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { ModelOpening } from '../model/pieces/digest.ts';
import { openStore, type Store } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { checkpointOpening } from '../tasks/checkpointPieces.ts';
import { tinyCheckpoint } from '../tasks/mlFixtures.ts';
import { signBlobRequest } from './blobRequest.ts';
import { BlobServer, type BlobSource, storeBlobSource } from './blobServer.ts';
import { BLOB_PROTOCOL } from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import { fetchBlob, fetchBlobToStore } from './fetchBlob.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { startTestHost } from './testing.ts';

// Blobs addressed by a model digest travel with their opening (R, S): the
// fetcher checks the opening against the digest and the bytes against S.
const CHAIN = 31337;
const CHAIN_TIME = 2_000_000_000;
const requester = privateKeyToAccount(generatePrivateKey());
const model = tinyCheckpoint(11);
const opening = checkpointOpening(model);
const tmp = tempDir('blob-model');
const hosts: ConcordHost[] = [];
let ownerStore: Store;
let relayStore: Store;
let digest: Hex;
let owner: ConcordHost;
let relay: ConcordHost;
let client: ConcordHost;

async function serve(host: ConcordHost, source: BlobSource): Promise<Multiaddr> {
  await new BlobServer(host, {
    chainId: CHAIN,
    chainTime: async () => CHAIN_TIME,
    authorize: async () => true,
    source,
  }).start();
  return host.getMultiaddrs()[0]!;
}

const request = (wanted = digest) =>
  signBlobRequest(requester, {
    digest: wanted,
    chainId: CHAIN,
    purpose: 'host',
    context: '1:0',
    chainTime: CHAIN_TIME,
  });

before(async () => {
  ownerStore = openStore(`${tmp.dir}/owner`);
  relayStore = openStore(`${tmp.dir}/relay`);
  digest = ownerStore.blobs.putModel(model);
  [owner, relay, client] = await Promise.all([startTestHost(), startTestHost(), startTestHost()]);
  hosts.push(owner, relay, client);
});

after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  ownerStore.close();
  relayStore.close();
  tmp.cleanup();
});

test('a model blob is fetched by its model digest with its opening, stored with it, and served on', async () => {
  const ownerAddr = await serve(owner, storeBlobSource(ownerStore.blobs));
  assert.deepEqual(await fetchBlob(client, { peer: ownerAddr, request: await request() }), model);
  const stored = await fetchBlobToStore(relay, {
    peer: ownerAddr,
    request: await request(),
    blobs: relayStore.blobs,
  });
  assert.equal(stored, digest);
  assert.deepEqual(relayStore.blobs.openingOf(digest), opening);
  assert.deepEqual(relayStore.blobs.getBlob(digest), model);
  // The relay serves it on, opening included: a third node fetches it from the relay alone.
  const relayAddr = await serve(relay, storeBlobSource(relayStore.blobs));
  const { dir, cleanup } = tempDir('blob-model-third');
  const third = openStore(dir);
  try {
    await fetchBlobToStore(client, { peer: relayAddr, request: await request(), blobs: third.blobs });
    assert.deepEqual(third.blobs.openingOf(digest), opening);
    assert.deepEqual(third.blobs.getBlob(digest), model);
  } finally {
    third.close();
    cleanup();
  }
});

test('a provider lying about the opening, or sending bytes that do not match it, is refused; nothing is stored', async () => {
  const liar = await startTestHost();
  hosts.push(liar);
  const otherModel = tinyCheckpoint(12);
  const other = checkpointOpening(otherModel);
  const tampered = model.slice();
  tampered[2000] = tampered[2000]! ^ 1;
  const once = (bytes: Uint8Array) =>
    (async function* () {
      yield bytes;
    })();
  const lies: Record<string, { source: BlobSource; error: string }> = {
    // Another model's true opening and bytes: the opening does not open the requested digest.
    otherModel: {
      source: async () => ({ size: otherModel.byteLength, chunks: once(otherModel), opening: other }),
      error: 'BlobDigestMismatchError',
    },
    // The right root with the other file's digest (and that file's bytes).
    mixedOpening: {
      source: async () => ({
        size: otherModel.byteLength,
        chunks: once(otherModel),
        opening: { root: opening.root, fileDigest: other.fileDigest },
      }),
      error: 'BlobDigestMismatchError',
    },
    // The true opening, but bytes that do not hash to its file digest.
    tamperedBytes: {
      source: async () => ({ size: tampered.byteLength, chunks: once(tampered), opening }),
      error: 'BlobDigestMismatchError',
    },
    // The true bytes without an opening: they hash to S, not to the model digest.
    noOpening: {
      source: async () => ({ size: model.byteLength, chunks: once(model) }),
      error: 'BlobDigestMismatchError',
    },
    // An opening that is not two bytes32.
    malformed: {
      source: async () => ({
        size: model.byteLength,
        chunks: once(model),
        opening: { root: '0x12', fileDigest: opening.fileDigest } as unknown as ModelOpening,
      }),
      error: 'BlobFetchProtocolError',
    },
  };
  let mode = 'otherModel';
  const peer = await serve(liar, (d) => lies[mode]!.source(d));
  const { dir, cleanup } = tempDir('blob-model-victim');
  const victim = openStore(dir);
  try {
    for (const name of Object.keys(lies)) {
      mode = name;
      const error = { name: lies[name]!.error };
      await assert.rejects(fetchBlob(client, { peer, request: await request() }), error, name);
      await assert.rejects(
        fetchBlobToStore(client, { peer, request: await request(), blobs: victim.blobs }),
        error,
        name,
      );
      assert.equal(victim.blobs.hasBlob(digest), false, name);
      assert.equal(victim.blobs.openingOf(digest), undefined, name);
    }
    // The honest owner still delivers to the same store afterwards.
    const ownerAddr = owner.getMultiaddrs()[0]!;
    await fetchBlobToStore(client, { peer: ownerAddr, request: await request(), blobs: victim.blobs });
    assert.deepEqual(victim.blobs.getBlob(digest), model);
  } finally {
    victim.close();
    cleanup();
  }
});

test('a plain digest served with an opening is refused (an opening never names a plain blob)', async () => {
  const plain = new TextEncoder().encode('plain bytes');
  const plainDigest = relayStore.blobs.putBlob(plain);
  const liar = await startTestHost();
  hosts.push(liar);
  const peer = await serve(liar, async () => ({
    size: plain.byteLength,
    chunks: (async function* () {
      yield plain;
    })(),
    opening: { root: opening.root, fileDigest: plainDigest },
  }));
  await assert.rejects(fetchBlob(client, { peer, request: await request(plainDigest) }), {
    name: 'BlobDigestMismatchError',
  });
});

test('the response header carries the opening before the bytes', async () => {
  const ownerAddr = owner.getMultiaddrs()[0]!;
  const stream = await client.dialProtocol(ownerAddr, BLOB_PROTOCOL);
  stream.send(encodeFrame(new TextEncoder().encode(JSON.stringify(await request()))));
  await stream.close();
  const reader = new FrameReader(stream);
  const header = JSON.parse(new TextDecoder().decode(await reader.readFrame(1024)));
  assert.deepEqual(header, { ok: true, size: model.byteLength, opening });
  const chunks: Uint8Array[] = [];
  for await (const c of reader.rest()) chunks.push(c);
  assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), model);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { base58btc } from 'multiformats/bases/base58';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import { identity } from 'multiformats/hashes/identity';
import type { Hex } from 'viem';
import { encodeTensor } from './codec.ts';
import { blobCid, cidToDigest, digestBytes, digestToCid, tensorDigest } from './digest.ts';
import { arbTensor } from './testTensors.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

test('digestBytes is sha2-256 as 0x-prefixed lower-case hex (FIPS 180-2 vectors)', () => {
  assert.equal(
    digestBytes(new Uint8Array(0)),
    '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(
    digestBytes(ascii('abc')),
    '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    digestBytes(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
    '0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('blobCid is the CIDv1 raw sha2-256 id IPFS gives the same bytes', () => {
  assert.equal(blobCid(new Uint8Array(0)), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
  assert.equal(blobCid(ascii('abc')), 'bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu');
});

test('a digest and a CID name the same blob, both ways', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      const digest = digestBytes(bytes);
      const cid = blobCid(bytes);
      assert.equal(cidToDigest(cid), digest);
      assert.equal(digestToCid(digest), cid);
      assert.equal(digestToCid(digest.toUpperCase().replace('0X', '0x') as Hex), cid);
    }),
    { numRuns: 200 },
  );
});

test('cidToDigest accepts another multibase encoding of the same CID', () => {
  const cid = CID.parse(blobCid(ascii('abc')));
  assert.equal(cidToDigest(cid.toString(base58btc)), digestBytes(ascii('abc')));
});

test('tensorDigest is the digest of the canonical encoding and tells -0 from +0', () => {
  fc.assert(
    fc.property(arbTensor(), (t) => assert.equal(tensorDigest(t), digestBytes(encodeTensor(t)))),
    { numRuns: 100 },
  );
  const zero = tensorDigest({ dtype: 'f32', shape: [1], data: Float32Array.of(0) });
  const negativeZero = tensorDigest({ dtype: 'f32', shape: [1], data: Float32Array.of(-0) });
  assert.notEqual(zero, negativeZero);
});

test('tensorDigest depends only on the value, not on the backing buffer', () => {
  const backing = Float32Array.of(9, 1, 2, 3, 9);
  const view = { dtype: 'f32', shape: [3], data: backing.subarray(1, 4) } as const;
  const own = { dtype: 'f32', shape: [3], data: Float32Array.of(1, 2, 3) } as const;
  assert.equal(tensorDigest(view), tensorDigest(own));
  assert.throws(() => tensorDigest({ dtype: 'f32', shape: [1], data: Float32Array.of(Number.NaN) }), {
    name: 'TensorNonFiniteError',
  });
});

test('digestToCid rejects anything but 32 bytes of hex', () => {
  for (const bad of [
    '0x',
    `0x${'0'.repeat(63)}`,
    `0x${'0'.repeat(65)}`,
    `0x${'g'.repeat(64)}`,
    '0'.repeat(66),
  ]) {
    assert.throws(() => digestToCid(bad as Hex), { name: 'InvalidBytes32Error' }, bad);
  }
});

test('cidToDigest rejects strings that are not CIDs', () => {
  for (const bad of ['', 'hello', 'bafkrei', 'Bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku']) {
    assert.throws(() => cidToDigest(bad), { name: 'InvalidCidError' }, bad);
  }
});

test('cidToDigest rejects CIDs that are not raw sha2-256 CIDv1', () => {
  const hash = Digest.create(0x12, new Uint8Array(32));
  const cases = [
    'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n', // CIDv0 (dag-pb)
    CID.createV1(0x71, hash).toString(), // dag-cbor codec
    CID.createV1(raw.code, identity.digest(ascii('abc'))).toString(), // identity multihash
    CID.createV1(raw.code, Digest.create(0x12, new Uint8Array(20))).toString(), // truncated sha2-256
  ];
  for (const cid of cases) assert.throws(() => cidToDigest(cid), { name: 'UnsupportedCidError' }, cid);
});

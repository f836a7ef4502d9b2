import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { isBlobRequestSignedByRequester, parseSignedBlobRequest, signBlobRequest } from './blobRequest.ts';

const account = privateKeyToAccount(generatePrivateKey());
const digest = `0x${'11'.repeat(32)}` as Hex;
/** A chain time (requests carry the chain's clock, never the signer's). */
const T = 2_000_000_000;

test('a signed request survives JSON and verifies; any changed field breaks the signature', async () => {
  const signed = await signBlobRequest(account, {
    digest,
    chainId: 5,
    purpose: 'host',
    context: 'shard-3',
    chainTime: T,
  });
  const parsed = parseSignedBlobRequest(JSON.parse(JSON.stringify(signed)));
  assert.deepEqual(parsed, signed);
  assert.equal(await isBlobRequestSignedByRequester(signed), true);
  const changes: Partial<Record<keyof typeof signed, unknown>> = {
    digest: `0x${'12'.repeat(32)}`,
    chainId: 6,
    nonce: `0x${'00'.repeat(32)}`,
    expiresAt: signed.expiresAt + 1,
    purpose: 'task',
    context: 'shard-4',
    requester: privateKeyToAccount(generatePrivateKey()).address,
  };
  for (const [key, value] of Object.entries(changes)) {
    assert.equal(await isBlobRequestSignedByRequester({ ...signed, [key]: value }), false, key);
  }
});

test('two requests never share a nonce; bad parameters are refused before signing', async () => {
  const a = await signBlobRequest(account, {
    digest,
    chainId: 5,
    purpose: 'pool',
    context: '1',
    chainTime: T,
  });
  const b = await signBlobRequest(account, {
    digest,
    chainId: 5,
    purpose: 'pool',
    context: '1',
    chainTime: T,
  });
  assert.notEqual(a.nonce, b.nonce);
  const bad = [
    { digest: '0x11' as Hex },
    { chainId: 0 },
    { purpose: 'all' as 'pool' },
    { context: 'x'.repeat(257) },
    { validForSeconds: 601 },
    { chainTime: Number.NaN },
  ];
  for (const change of bad) {
    await assert.rejects(
      signBlobRequest(account, {
        digest,
        chainId: 5,
        purpose: 'pool',
        context: '1',
        chainTime: T,
        ...change,
      }),
      {
        name: 'BlobRequestInvalidError',
      },
    );
  }
});

test('parseSignedBlobRequest never throws on arbitrary JSON and rejects it', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.equal(typeof parseSignedBlobRequest(value), 'string');
    }),
    { numRuns: 300 },
  );
});

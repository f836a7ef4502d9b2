import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Hex, hashTypedData } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  hashStatement,
  type PartialProductsStatement,
  signStatement,
  statementTypedData,
  verifyStatement,
} from './inferenceStatement.ts';

const hex = (byte: string): Hex => `0x${byte.repeat(32)}`;

/** Fresh statement objects (hashes are remembered per object). */
function statement(layer: number, step: number): PartialProductsStatement {
  return {
    session: hex('ab'),
    items: [
      { step, layer, matrix: 'attn', shard: 3, input: hex('01'), digest: hex('02') },
      { step: step + 1, layer: -1, matrix: 'lm_head', shard: 0, input: hex('03'), digest: hex('04') },
    ],
  };
}

describe('hashStatement', () => {
  it('equals the EIP-712 digest of the typed data, with and without a settlement contract', () => {
    for (const domain of [{ chainId: 31337 }, { chainId: 1, settlement: `0x${'12'.repeat(20)}` as Hex }]) {
      for (const [layer, step] of [
        [0, 0],
        [5, 2 ** 40],
        [-7, 9],
      ] as const) {
        const expected = hashTypedData(statementTypedData(statement(layer, step), domain));
        assert.equal(hashStatement(statement(layer, step), domain), expected, `layer ${layer} step ${step}`);
      }
    }
  });

  it('signs and verifies over the hash; a changed item or domain does not verify', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const domain = { chainId: 31337 };
    const st = statement(2, 7);
    const signature = await signStatement(account, st, domain);
    assert.equal(await verifyStatement({ host: account.address, statement: st, signature }, domain), true);
    const changed = statement(2, 8);
    assert.equal(
      await verifyStatement({ host: account.address, statement: changed, signature }, domain),
      false,
    );
    assert.equal(
      await verifyStatement({ host: account.address, statement: st, signature }, { chainId: 1 }),
      false,
    );
  });
});

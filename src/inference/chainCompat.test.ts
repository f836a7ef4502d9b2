import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress, keccak256, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { statementLeaf, verifyStatement } from '../chain/inferenceStatement.ts';
import { voteLeaf } from './receipt.ts';
import { isSignedByHost, signPartialProducts } from './signature.ts';

describe('host signatures and vote leaves match the on-chain settlement’s', () => {
  it('verify with src/chain and give the same Merkle leaf', async () => {
    const host = privateKeyToAccount(generatePrivateKey());
    const settlement = getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3');
    const domain = { chainId: 31337, settlement };
    const statement = {
      session: keccak256(toHex('session')),
      items: [
        { step: 3, layer: 0, matrix: 'mlp.c_fc' as const, shard: 2, digest: keccak256(toHex('rows a')) },
        { step: 4, layer: -1, matrix: 'lm_head' as const, shard: 0, digest: keccak256(toHex('rows b')) },
      ],
    };
    const signature = await signPartialProducts(host, domain, statement);
    assert.equal(await isSignedByHost(host.address, domain, statement, signature), true);
    assert.equal(await isSignedByHost(host.address, { chainId: 31337 }, statement, signature), false);
    const signed = { host: host.address, statement, signature };
    assert.equal(await verifyStatement(signed, domain), true);
    assert.equal(voteLeaf(domain, signed), statementLeaf(signed, domain));
  });
});

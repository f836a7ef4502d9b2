import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import { concordTokenAbi } from '../../generated/contracts/index.ts';
import { DEPLOY_DEFAULTS } from '../../src/chain/deploy.ts';
import { ACCOUNTS, account, FUNDING, read, startTestChain, type TestChain } from './harness.ts';

describe('ConcordToken', () => {
  let chain: TestChain;
  before(async () => {
    chain = await startTestChain();
  });
  after(async () => {
    await chain?.stop();
  });

  it('has the name, symbol and decimals of the Concord token', async () => {
    const token = chain.addresses.token;
    assert.equal(await read(chain, token, concordTokenAbi, 'name'), 'Concord');
    assert.equal(await read(chain, token, concordTokenAbi, 'symbol'), 'CCD');
    assert.equal(await read(chain, token, concordTokenAbi, 'decimals'), 18);
  });

  it('mints the whole fixed supply to the recipient at deployment', async () => {
    const token = chain.addresses.token;
    const supply = await read<bigint>(chain, token, concordTokenAbi, 'totalSupply');
    assert.equal(supply, DEPLOY_DEFAULTS.supply);
    const deployer = await read<bigint>(chain, token, concordTokenAbi, 'balanceOf', [account(0)]);
    assert.equal(deployer, supply - FUNDING * BigInt(ACCOUNTS - 1));
    assert.ok(supply > parseEther('1'));
  });

  it('exposes no minting function', () => {
    const names = concordTokenAbi.filter((item) => item.type === 'function').map((item) => item.name);
    assert.ok(!names.some((n) => /mint|burn/i.test(n)), names.join(','));
  });
});

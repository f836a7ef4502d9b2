// Finding 9 of issue 15 (deployer keys): after deployConcord no single key can mint, slash or
// settle: the roles are wired to the protocol contracts and ownership is renounced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Abi, zeroAddress } from 'viem';
import { accessCreditsAbi, nodeRegistryAbi, sharesAbi } from '../../generated/contracts/index.ts';
import { account, expectRevert, read, send, startTestChain, type TestChain } from '../contracts/harness.ts';

describe('security: deployer roles (finding 9)', () => {
  let chain: TestChain;

  before(async () => {
    chain = await startTestChain();
  });
  after(async () => {
    await chain?.stop();
  });

  it('after deployConcord the deployer cannot add a slasher, minter or settler, and nobody owns the roles', async () => {
    const { registry, shares, accessCredits, taskMarket, inferenceSettlement } = chain.addresses;
    const roles: [string, `0x${string}`, Abi, string, string][] = [
      ['NodeRegistry', registry, nodeRegistryAbi, 'setSlasher', 'isSlasher'],
      ['Shares', shares, sharesAbi, 'setMinter', 'isMinter'],
      ['AccessCredits', accessCredits, accessCreditsAbi, 'setSettler', 'isSettler'],
    ];
    for (const [name, address, abi, setter, getter] of roles) {
      assert.equal(await read(chain, address, abi, 'owner'), zeroAddress, `${name} has no owner`);
      await expectRevert(
        send(chain, 0, address, abi, setter, [account(0), true]),
        'OwnableUnauthorizedAccount',
      );
      assert.equal(
        await read(chain, address, abi, getter, [account(0)]),
        false,
        `${name}: deployer has no role`,
      );
    }
    // The protocol contracts keep the roles they were wired with.
    assert.equal(await read(chain, registry, nodeRegistryAbi, 'isSlasher', [taskMarket]), true);
    assert.equal(await read(chain, registry, nodeRegistryAbi, 'isSlasher', [inferenceSettlement]), true);
    assert.equal(await read(chain, shares, sharesAbi, 'isMinter', [taskMarket]), true);
    assert.equal(await read(chain, shares, sharesAbi, 'isMinter', [inferenceSettlement]), true);
    assert.equal(
      await read(chain, accessCredits, accessCreditsAbi, 'isSettler', [inferenceSettlement]),
      true,
    );
  });
});

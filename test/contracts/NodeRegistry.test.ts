import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, type Hex, parseEther, parseEventLogs, toHex } from 'viem';
import { nodeRegistryAbi, nodeRegistryBytecode } from '../../generated/contracts/index.ts';
import {
  account,
  advance,
  approveAll,
  balanceOf,
  deployOwned,
  expectRevert,
  isolated,
  peerIdFor,
  read,
  registerNode,
  send,
  startTestChain,
  type TestChain,
} from './harness.ts';

const MIN = parseEther('100');
const DELAY = 3600;
const SEED = toHex('seed', { size: 32 });

type Node = {
  peerId: Hex;
  peerSig: Hex;
  stake: bigint;
  pending: bigint;
  unlockAt: bigint;
  registered: boolean;
};

describe('NodeRegistry', () => {
  let chain: TestChain;
  let registry: `0x${string}`;
  const call = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, registry, nodeRegistryAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, registry, nodeRegistryAbi, fn, args);

  const blockNumber = () => chain.clients[0]!.publicClient.getBlockNumber({ cacheTime: 0 });

  before(async () => {
    const base = await startTestChain();
    // An instance of our own, owned by account 0, to test the owner-only slasher rule.
    registry = await deployOwned(base, nodeRegistryAbi, nodeRegistryBytecode, [
      base.addresses.token,
      MIN,
      DELAY,
    ]);
    chain = { ...base, addresses: { ...base.addresses, registry } };
  });
  after(async () => {
    await chain?.stop();
  });

  it('register binds account and peer id, stores the peer signature and pulls the stake', () =>
    isolated(chain, async () => {
      const before = await balanceOf(chain, account(1));
      await registerNode(chain, 1, MIN);
      const node = await view<Node>('getNode', [account(1)]);
      assert.equal(node.peerId, peerIdFor(1));
      assert.equal(node.peerSig, toHex('sig-1'));
      assert.equal(node.stake, MIN);
      assert.equal(node.registered, true);
      assert.equal(await view('peerIdOf', [account(1)]), peerIdFor(1));
      assert.equal(await view('isActive', [account(1)]), true);
      assert.equal(await view('stakeOf', [account(1)]), MIN);
      assert.equal(await balanceOf(chain, account(1)), before - MIN);
      assert.equal(await balanceOf(chain, registry), MIN);
      assert.deepEqual(await view('nodes'), [account(1)]);
      assert.equal(await view('nodeCount'), 1n);
      assert.equal(await view('nodeAt', [0n]), account(1));
    }));

  it('register rejects an empty peer id, a second registration and a stake below minimum', () =>
    isolated(chain, async () => {
      await approveAll(chain, 2, registry);
      await expectRevert(call(2, 'register', ['0x', '0x', MIN]), 'NodeEmptyPeerId');
      await expectRevert(call(2, 'register', [peerIdFor(2), '0x', MIN - 1n]), 'NodeBelowMinStake');
      await registerNode(chain, 1, MIN);
      await expectRevert(call(1, 'register', [peerIdFor(9), '0x', MIN]), 'NodeAlreadyRegistered');
    }));

  it('does not reserve peer ids: a second account may name the same one (nodes verify peerSig)', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      await approveAll(chain, 2, registry);
      await call(2, 'register', [peerIdFor(1), '0x', MIN]);
      assert.equal(await view('peerIdOf', [account(2)]), peerIdFor(1));
      assert.equal(await view('peerIdOf', [account(1)]), peerIdFor(1));
    }));

  it('stake adds to the active stake; zero amounts and unknown nodes are rejected', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      await call(1, 'stake', [5n]);
      assert.equal(await view('stakeOf', [account(1)]), MIN + 5n);
      await expectRevert(call(1, 'stake', [0n]), 'NodeZeroAmount');
      await expectRevert(call(3, 'stake', [5n]), 'NodeUnknown');
    }));

  it('requestUnstake moves stake to pending: it stops voting, stays slashable and deactivates below minimum', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN + 10n);
      await call(1, 'requestUnstake', [20n]);
      const node = await view<Node>('getNode', [account(1)]);
      assert.equal(node.stake, MIN - 10n);
      assert.equal(node.pending, 20n);
      assert.equal(await view('slashableOf', [account(1)]), MIN + 10n);
      assert.equal(await view('isActive', [account(1)]), false);
      const [active] = await view<[readonly string[], readonly bigint[]]>('activeNodes');
      assert.deepEqual(active, []);
      await expectRevert(call(1, 'requestUnstake', [0n]), 'NodeZeroAmount');
      await expectRevert(call(1, 'requestUnstake', [MIN]), 'NodeInsufficientStake');
      await expectRevert(call(4, 'requestUnstake', [1n]), 'NodeUnknown');
    }));

  it('withdraw pays pending stake only after the unstake delay, once', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      await expectRevert(call(1, 'withdraw'), 'NodeNothingToWithdraw');
      await call(1, 'requestUnstake', [40n]);
      await expectRevert(call(1, 'withdraw'), 'NodeUnstakeTooEarly');
      await advance(chain, DELAY);
      const before = await balanceOf(chain, account(1));
      await call(1, 'withdraw');
      assert.equal(await balanceOf(chain, account(1)), before + 40n);
      await expectRevert(call(1, 'withdraw'), 'NodeNothingToWithdraw');
    }));

  it('slash takes active stake first, then pending, capped at what is slashable, and only by slashers', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      await call(1, 'requestUnstake', [30n]);
      await expectRevert(call(2, 'slash', [account(1), 10n, account(2)]), 'NodeNotSlasher');
      await expectRevert(call(2, 'setSlasher', [account(2), true]), 'OwnableUnauthorizedAccount');
      await call(0, 'setSlasher', [account(2), true]);
      assert.equal(await view('isSlasher', [account(2)]), true);
      await expectRevert(call(2, 'slash', [account(5), 10n, account(2)]), 'NodeUnknown');
      const before = await balanceOf(chain, account(3));
      await call(2, 'slash', [account(1), MIN - 20n, account(3)]);
      let node = await view<Node>('getNode', [account(1)]);
      assert.equal(node.stake, 0n);
      assert.equal(node.pending, 20n);
      await call(2, 'slash', [account(1), 1000n, account(3)]);
      node = await view<Node>('getNode', [account(1)]);
      assert.equal(node.pending, 0n);
      assert.equal(await balanceOf(chain, account(3)), before + MIN);
      assert.equal(await balanceOf(chain, registry), 0n);
      await call(0, 'setSlasher', [account(2), false]);
      await expectRevert(call(2, 'slash', [account(1), 1n, account(2)]), 'NodeNotSlasher');
    }));

  it('activeNodes lists active nodes in registration order with their stakes and memory caps', () =>
    isolated(chain, async () => {
      await registerNode(chain, 3, MIN + 3n);
      await registerNode(chain, 1, MIN + 1n);
      await registerNode(chain, 2, MIN + 2n);
      await call(1, 'requestUnstake', [2n]);
      await call(2, 'setModelMemory', [2048n]);
      const [accounts, stakes, memories] =
        await view<[readonly string[], readonly bigint[], readonly bigint[]]>('activeNodes');
      assert.deepEqual(accounts, [account(3), account(2)]);
      assert.deepEqual(stakes, [MIN + 3n, MIN + 2n]);
      assert.deepEqual(memories, [0n, 2048n]);
      assert.deepEqual(await view('nodes'), [account(3), account(1), account(2)]);
    }));

  it('setModelMemory records the cap of a registered node (0 = unlimited) and rejects unknown accounts', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      assert.equal(await view('modelMemoryOf', [account(1)]), 0n);
      const receipt = await call(1, 'setModelMemory', [2n ** 64n - 1n]);
      const [event] = parseEventLogs({
        abi: nodeRegistryAbi,
        logs: receipt.logs,
        eventName: 'ModelMemorySet',
      });
      assert.deepEqual(event?.args, { account: account(1), maxBytes: 2n ** 64n - 1n });
      assert.equal(await view('modelMemoryOf', [account(1)]), 2n ** 64n - 1n);
      await call(1, 'setModelMemory', [0n]);
      assert.equal(await view('modelMemoryOf', [account(1)]), 0n);
      await expectRevert(call(2, 'setModelMemory', [1n]), 'NodeUnknown');
      assert.equal(await view('modelMemoryOf', [account(2)]), 0n);
    }));

  it('checkpoints active stake per block: stakeAt and drawCommittee see the past, not later changes', () =>
    isolated(chain, async () => {
      await registerNode(chain, 1, MIN);
      const registered = await blockNumber();
      await registerNode(chain, 2, MIN);
      await call(1, 'stake', [7n]);
      const staked = await blockNumber();
      await call(1, 'requestUnstake', [MIN]);
      const unstaked = await blockNumber();
      await call(0, 'setSlasher', [account(0), true]);
      await call(0, 'slash', [account(2), 1n, account(0)]);
      const slashed = await blockNumber();
      // Views run in the latest block; mine one more so `slashed` lies in the past.
      await chain.test.mine({ blocks: 1 });
      assert.equal(await view('stakeAt', [account(1), registered - 1n]), 0n);
      assert.equal(await view('stakeAt', [account(1), registered]), MIN);
      assert.equal(await view('stakeAt', [account(1), staked]), MIN + 7n);
      assert.equal(await view('stakeAt', [account(1), unstaked]), 7n);
      assert.equal(await view('stakeAt', [account(2), slashed]), MIN - 1n);
      const everyone = async (block: bigint) => {
        const [members, stakes] = await view<[readonly Address[], readonly bigint[]]>('drawCommittee', [
          SEED,
          block,
          5n,
        ]);
        return new Map(members.map((m, i) => [m, stakes[i]]));
      };
      assert.deepEqual(await everyone(registered), new Map([[account(1), MIN]]));
      assert.deepEqual(
        await everyone(staked),
        new Map([
          [account(1), MIN + 7n],
          [account(2), MIN],
        ]),
      );
      assert.deepEqual(await everyone(slashed), new Map());
      const current = await blockNumber();
      await expectRevert(view('stakeAt', [account(1), current + 1n]), 'NodeFutureLookup');
      await expectRevert(view('drawCommittee', [SEED, current + 1n, 1n]), 'NodeFutureLookup');
    }));

  it('reports its configuration', async () => {
    assert.equal(await view('minStake'), MIN);
    assert.equal(await view('unstakeDelay'), BigInt(DELAY));
    assert.equal(await view('token'), chain.addresses.token);
    assert.equal(await view('owner'), account(0));
  });
});

// Finding 5 of issue 15: committee draws must cost O(size * log(active nodes)), whatever the
// number of accounts that ever registered, and stay exactly stake-weighted without replacement
// over the stakes at the end of the task's creation block.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, encodeAbiParameters, type Hex, keccak256, parseEther, toHex } from 'viem';
import { concordTokenAbi, nodeRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import { type ConcordClients, createConcordClients } from '../../src/chain/client.ts';
import { sendContract } from '../../src/chain/send.ts';
import {
  account,
  approveAll,
  createTask,
  id32,
  isolated,
  read,
  registerNode,
  send,
  startTestChain,
  type TestChain,
  taskParams,
} from '../contracts/harness.ts';

const MIN = parseEther('100');
const ATTACKERS = 150;

/** One slot of the registry's sum tree as the reference sees it: its holder and weight (0 if free). */
type Slot = { account: Address; stake: bigint };

/**
 * The draw the registry must make, written the slow and obvious way: the `k`-th ticket is
 * `keccak256(abi.encode(seed, k)) % (undrawn weight)`, and it picks the slot whose range of the
 * cumulative weights, in slot order with drawn slots skipped, holds it. Each undrawn node thus
 * wins with probability exactly its stake over the undrawn stake.
 */
function referenceDraw(
  seed: Hex,
  slots: readonly Slot[],
  size: number,
): { members: Address[]; stakes: bigint[] } {
  const drawn = new Set<number>();
  const members: Address[] = [];
  const stakes: bigint[] = [];
  let remaining = slots.reduce((sum, s) => sum + s.stake, 0n);
  for (let k = 0; k < size && remaining > 0n; k++) {
    const hash = keccak256(
      encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [seed, BigInt(k)]),
    );
    let ticket = BigInt(hash) % remaining;
    const index = slots.findIndex((s, i) => {
      if (drawn.has(i)) return false;
      if (ticket < s.stake) return true;
      ticket -= s.stake;
      return false;
    });
    drawn.add(index);
    members.push(slots[index]!.account);
    stakes.push(slots[index]!.stake);
    remaining -= slots[index]!.stake;
  }
  return { members, stakes };
}

describe('security: committee draw (finding 5)', () => {
  let chain: TestChain;
  const registry = () => chain.addresses.registry;
  const blockNumber = () => chain.clients[0]!.publicClient.getBlockNumber({ cacheTime: 0 });
  const draw = (seed: Hex, atBlock: bigint, size: number) =>
    read<[readonly Address[], readonly bigint[]]>(chain, registry(), nodeRegistryAbi, 'drawCommittee', [
      seed,
      atBlock,
      BigInt(size),
    ]).then(([members, stakes]) => ({ members: [...members], stakes: [...stakes] }));
  /** Gas of TaskMarket.drawCommittee for a fresh 3-member task. */
  const drawGas = async () => {
    const id = await createTask(chain, 0, await taskParams(chain));
    const receipt = await send(chain, 0, chain.addresses.taskMarket, taskMarketAbi, 'drawCommittee', [id]);
    return receipt.gasUsed;
  };

  before(async () => {
    chain = await startTestChain({ minStake: MIN });
  });
  after(async () => {
    await chain?.stop();
  });

  it('150 accounts that register then unstake do not make the draw grow (bounded by log of the active set)', () =>
    isolated(chain, async () => {
      for (const i of [1, 2, 3]) await registerNode(chain, i, MIN * BigInt(i));
      const before = await drawGas();
      const attackers: ConcordClients[] = [];
      for (let i = 0; i < ATTACKERS; i++) {
        const privateKey = keccak256(toHex(`draw-attacker-${i}`));
        const clients = await createConcordClients({
          rpcUrl: chain.anvil.rpcUrl,
          privateKey,
          pollingInterval: 10,
        });
        await chain.test.setBalance({ address: clients.account.address, value: parseEther('10') });
        await send(chain, 0, chain.addresses.token, concordTokenAbi, 'transfer', [
          clients.account.address,
          MIN,
        ]);
        attackers.push(clients);
      }
      const as =
        (clients: ConcordClients, address: Address, abi: typeof nodeRegistryAbi | typeof concordTokenAbi) =>
        (functionName: string, args: readonly unknown[]) =>
          sendContract(clients, { address, abi, functionName, args });
      // Each attacker registers and leaves at once.
      for (const [i, clients] of attackers.entries()) {
        await as(clients, chain.addresses.token, concordTokenAbi)('approve', [registry(), MIN]);
        const node = as(clients, registry(), nodeRegistryAbi);
        await node('register', [toHex(`attacker-peer-${i}`), '0x', MIN]);
        await node('requestUnstake', [MIN]);
      }
      assert.equal(await read(chain, registry(), nodeRegistryAbi, 'nodeCount'), BigInt(ATTACKERS + 3));
      const afterAttack = await drawGas();
      // The old linear draw paid ~7.6k gas per account ever registered (+1.1M here).
      assert.ok(afterAttack <= before + 10_000n, `draw gas ${before} -> ${afterAttack}`);
      assert.ok(afterAttack < 300_000n, `draw gas ${afterAttack}`);
    }));

  it('draws exactly like the stake-weighted reference, and later changes do not alter a past draw', () =>
    isolated(chain, async () => {
      const stakeOf = (i: number) => MIN * BigInt([0, 1, 3, 2, 7, 1, 5, 4][i]!);
      // Slots 1..5 in registration order (the capacity grows 1 -> 2 -> 4 -> 8).
      for (const i of [1, 2, 3, 4, 5]) await registerNode(chain, i, stakeOf(i));
      const early = await blockNumber();
      const slotsEarly: Slot[] = [1, 2, 3, 4, 5].map((i) => ({ account: account(i), stake: stakeOf(i) }));
      // Node 2 leaves (slot 2 freed), node 6 takes its slot, node 3 tops up, node 5 drops below minStake.
      await send(chain, 2, registry(), nodeRegistryAbi, 'requestUnstake', [stakeOf(2)]);
      await registerNode(chain, 6, stakeOf(6));
      await send(chain, 3, registry(), nodeRegistryAbi, 'stake', [MIN * 4n]);
      await send(chain, 5, registry(), nodeRegistryAbi, 'requestUnstake', [MIN / 2n]);
      const atBlock = await blockNumber();
      await chain.test.mine({ blocks: 1 });
      const slotsThen: Slot[] = [
        { account: account(1), stake: stakeOf(1) },
        { account: account(6), stake: stakeOf(6) },
        { account: account(3), stake: stakeOf(3) + MIN * 4n },
        { account: account(4), stake: stakeOf(4) },
        { account: account(5), stake: 0n },
      ];
      const seeds = Array.from({ length: 60 }, (_, k) => id32(`seed-${k}`));
      const sizes = [1, 3, 4, 7];
      const check = async (slots: readonly Slot[], block: bigint) => {
        for (const seed of seeds) {
          for (const size of sizes) {
            assert.deepEqual(
              await draw(seed, block, size),
              referenceDraw(seed, slots, size),
              `${seed} x${size}`,
            );
          }
        }
      };
      await check(slotsThen, atBlock);
      await check(slotsEarly, early);
      // After the draw's block: stakes, unstakes, a registration reusing a freed slot, a new slot.
      await send(chain, 1, registry(), nodeRegistryAbi, 'stake', [MIN * 100n]);
      await send(chain, 4, registry(), nodeRegistryAbi, 'requestUnstake', [stakeOf(4)]);
      await registerNode(chain, 7, stakeOf(7));
      await send(chain, 5, registry(), nodeRegistryAbi, 'stake', [MIN * 50n]);
      await approveAll(chain, 8, registry());
      await send(chain, 8, registry(), nodeRegistryAbi, 'register', [toHex('peer-8'), '0x', MIN * 9n]);
      await check(slotsThen, atBlock);
      await check(slotsEarly, early);
      assert.deepEqual(
        await draw(seeds[0]!, 0n, 3),
        { members: [], stakes: [] },
        'nobody was active at genesis',
      );
    }));
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Abi,
  type Address,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  maxUint256,
  parseEther,
  parseEventLogs,
  toFunctionSelector,
  toHex,
} from 'viem';
import {
  accessCreditsAbi,
  accessCreditsBytecode,
  nodeRegistryAbi,
  nodeRegistryBytecode,
  sharesAbi,
  sharesBytecode,
  taskMarketAbi,
  taskMarketBytecode,
} from '../../generated/contracts/index.ts';
import {
  reentrantAttackerAbi,
  reentrantAttackerBytecode,
} from '../../generated/contracts/test/ReentrantAttacker.ts';
import { reentrantTokenAbi, reentrantTokenBytecode } from '../../generated/contracts/test/ReentrantToken.ts';
import { commitment } from '../../src/core/commitment.ts';
import { escrowFor, reward } from '../../src/core/rewards.ts';
import { previewSettlement, type SettlementCommitter } from '../../src/core/settlement.ts';
import {
  account,
  advance,
  approveAll,
  balanceOf,
  commitAs,
  commitmentOf,
  createTask,
  expectRevert,
  id32,
  isolated,
  now,
  poolOf,
  read,
  registerNode,
  revealAs,
  saltFor,
  send,
  startTestChain,
  type TaskParams,
  type TestChain,
  taskParams,
  ZERO32,
} from './harness.ts';

const MIN = parseEther('100');
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const NODES = [1, 2, 3, 4, 5];
const A = id32('result A');
const B = id32('result B');

type Task = {
  params: TaskParams;
  creator: Address;
  createdBlock: bigint;
  status: number;
  committeeDrawn: boolean;
  creatorClaimed: boolean;
  committeeLength: number;
  committed: number;
  revealed: number;
  winners: number;
  winner: Hex;
  escrow: bigint;
  reward: bigint;
  pot: bigint;
  creatorRefund: bigint;
};
type Participant = {
  status: number;
  claimed: boolean;
  stake: bigint;
  commitment: Hex;
  resultDigest: Hex;
  payout: bigint;
  slashed: bigint;
};
const FINALIZED = 2;
const FAILED = 3;

describe('TaskMarket', () => {
  let chain: TestChain;
  let market: Address;
  const call = (from: number, fn: string, args: readonly unknown[] = []) =>
    send(chain, from, market, taskMarketAbi, fn, args);
  const view = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, market, taskMarketAbi, fn, args);
  const getTask = (id: bigint) => view<Task>('getTask', [id]);
  const participant = (id: bigint, i: number) => view<Participant>('participantState', [id, account(i)]);
  const indexOf = (address: string) => NODES.find((i) => account(i) === address)!;
  /** Draws the committee of `id` and returns the members as dev account indexes, in draw order. */
  const drawn = async (id: bigint) => {
    await call(0, 'drawCommittee', [id]);
    return (await view<readonly Address[]>('committeeOf', [id])).map(indexOf);
  };
  const stakeOf = (i: number) =>
    read<bigint>(chain, chain.addresses.registry, nodeRegistryAbi, 'stakeOf', [account(i)]);
  const unitsOf = (id: bigint, i: number) =>
    view<bigint>('artifactIdOf', [id]).then((artifact) =>
      read<bigint>(chain, chain.addresses.shares, sharesAbi, 'balanceOf', [account(i), artifact]),
    );

  /** Claims everything every account in `who` is owed and returns the amounts received. */
  const claimAll = async (id: bigint, who: readonly number[]) => {
    const received = new Map<number, bigint>();
    for (const i of who) {
      const owed = await view<bigint>('payoutOf', [id, account(i)]);
      if (owed === 0n) continue;
      const before = await balanceOf(chain, account(i));
      await call(i, 'claim', [id]);
      received.set(i, (await balanceOf(chain, account(i))) - before);
    }
    return received;
  };

  /** Compares the on-chain settlement of `id` with src/core's previewSettlement. */
  const assertMatchesCore = async (id: bigint, members: readonly number[]) => {
    const task = await getTask(id);
    const committers: SettlementCommitter[] = [];
    for (const i of members) {
      const p = await participant(id, i);
      if (p.status < 2) continue;
      committers.push({
        participant: account(i),
        stake: p.stake,
        revealed: p.status === 3 ? p.resultDigest : null,
      });
    }
    const preview = previewSettlement(
      {
        baseReward: task.params.baseReward,
        growthBps: task.params.growthBps,
        maxParticipants: task.params.maxParticipants,
        quorum: task.params.quorum,
        bond: task.params.bond,
        stakeSlash: task.params.stakeSlash,
      },
      committers,
    );
    assert.equal(task.status, preview.winner === null ? FAILED : FINALIZED);
    assert.equal(task.winner, preview.winner ?? ZERO32);
    assert.equal(task.creatorRefund, preview.refundToCreator);
    assert.equal(task.pot, preview.pot);
    for (const settled of preview.participants) {
      const p = await view<Participant>('participantState', [id, settled.participant]);
      assert.equal(p.payout, settled.payout + settled.bondReturned, settled.participant);
      assert.equal(p.slashed, settled.slashed, settled.participant);
    }
    return preview;
  };

  before(async () => {
    chain = await startTestChain({ minStake: MIN });
    market = chain.addresses.taskMarket;
    for (const i of NODES) await registerNode(chain, i, MIN);
    await approveAll(chain, 0, market);
  });
  after(async () => {
    await chain?.stop();
  });

  describe('createTask', () => {
    it('escrows maxParticipants * reward(maxParticipants) and stores the task', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { pool: poolOf(0, 'round 1') });
        const before = await balanceOf(chain, account(0));
        const id = await createTask(chain, 0, params);
        assert.equal(id, 1n);
        const escrow = escrowFor(params.baseReward, params.growthBps, params.maxParticipants);
        assert.equal(escrow, 3n * ((1000n * (10000n + 500n * 2n)) / 10000n));
        assert.equal(await balanceOf(chain, account(0)), before - escrow);
        const task = await getTask(id);
        assert.deepEqual(task.params, params);
        assert.equal(task.creator, account(0));
        assert.equal(task.escrow, escrow);
        assert.equal(task.status, 1);
        assert.equal(task.committeeDrawn, false);
        assert.deepEqual(await view('poolTasks', [params.pool]), [id]);
        assert.equal(await view('poolOpenCount', [params.pool]), 1n);
        assert.equal(await view('taskCount'), 1n);
      }));

    it('rejects invalid parameters with TaskInvalidParams naming the problem', () =>
      isolated(chain, async () => {
        const t = (await taskParams(chain)).commitDeadline - 100n;
        const cases: [Partial<TaskParams>, string][] = [
          [{ kind: ZERO32 }, 'kind is zero'],
          [{ quorum: 0 }, 'quorum is zero'],
          [{ quorum: 4 }, 'committeeSize below quorum'],
          [{ maxParticipants: 2 }, 'maxParticipants below committeeSize'],
          [{ maxParticipants: 65, committeeSize: 65 }, 'committeeSize above MAX_COMMITTEE'],
          [{ commitDeadline: t - 1n }, 'commit window too short'],
          [{ revealDeadline: t + 100n }, 'reveal window too short'],
          [{ revealDeadline: t + 30n * 86_400n + 10n }, 'task lasts too long'],
          [{ bond: 10_001n }, 'bond above limit'],
          [{ stakeSlash: 10_001n }, 'stakeSlash above limit'],
          [{ kind: id32('aggregate') }, 'aggregate task without pool'],
          [{ inputsRoot: id32('x') }, 'inputsRoot on a non-aggregate task'],
        ];
        for (const [overrides, reason] of cases) {
          const args = await expectRevert(
            call(0, 'createTask', [await taskParams(chain, overrides)]),
            'TaskInvalidParams',
          );
          assert.equal(args[0], reason);
        }
      }));

    it('createTasks creates consecutive tasks with a single escrow transfer', () =>
      isolated(chain, async () => {
        const params = [
          await taskParams(chain),
          await taskParams(chain, { baseReward: 7n }),
          await taskParams(chain),
        ];
        const before = await balanceOf(chain, account(0));
        const receipt = await call(0, 'createTasks', [params]);
        assert.equal(await view('taskCount'), 3n);
        const total = params.reduce(
          (s, p) => s + escrowFor(p.baseReward, p.growthBps, p.maxParticipants),
          0n,
        );
        assert.equal(await balanceOf(chain, account(0)), before - total);
        const transfers = receipt.logs.filter(
          (l) => l.address.toLowerCase() === chain.addresses.token.toLowerCase(),
        );
        assert.equal(transfers.length, 1);
        assert.equal((await getTask(2n)).params.baseReward, 7n);
        const args = await expectRevert(call(0, 'createTasks', [[]]), 'TaskInvalidParams');
        assert.deepEqual(args, ['no tasks']);
      }));
  });

  describe('committee', () => {
    it('draws distinct active nodes, snapshots their stakes, and cannot be drawn twice', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const members = await drawn(id);
        assert.equal(members.length, 3);
        assert.equal(new Set(members).size, 3);
        for (const i of members) {
          assert.equal(await view('isCommitteeMember', [id, account(i)]), true);
          assert.equal((await participant(id, i)).stake, MIN);
        }
        const outsider = NODES.find((i) => !members.includes(i))!;
        assert.equal(await view('isCommitteeMember', [id, account(outsider)]), false);
        assert.equal((await getTask(id)).committeeLength, 3);
        await expectRevert(call(0, 'drawCommittee', [id]), 'TaskCommitteeAlreadyDrawn');
        await expectRevert(call(0, 'drawCommittee', [99n]), 'TaskNotFound');
      }));

    it('is not ready in the creation block', () =>
      isolated(chain, async () => {
        await chain.test.setAutomine(false);
        try {
          const params = await taskParams(chain);
          await chain.clients[0]!.walletClient.writeContract({
            address: market,
            abi: taskMarketAbi,
            functionName: 'createTask',
            args: [params],
            gas: 1_000_000n,
          });
          // The pending block holds the creation; a draw in that same block must fail.
          await assert.rejects(
            chain.clients[0]!.publicClient.simulateContract({
              address: market,
              abi: taskMarketAbi,
              functionName: 'drawCommittee',
              args: [1n],
              blockTag: 'pending',
            }),
            (err: Error) => /TaskCommitteeNotReady/.test(err.message),
          );
        } finally {
          // Mine the pending creation before automine returns, so nothing is left in the mempool.
          await chain.test.mine({ blocks: 1 });
          await chain.test.setAutomine(true);
        }
        assert.equal((await getTask(1n)).status, 1);
        // One block later the seed exists and the draw succeeds.
        assert.equal((await drawn(1n)).length, 3);
      }));

    it('takes every active node when fewer than committeeSize are active, and fails with none', () =>
      isolated(chain, async () => {
        for (const i of [3, 4, 5])
          await send(chain, i, chain.addresses.registry, nodeRegistryAbi, 'requestUnstake', [MIN]);
        const id = await createTask(chain, 0, await taskParams(chain));
        assert.deepEqual((await drawn(id)).sort(), [1, 2]);
        for (const i of [1, 2])
          await send(chain, i, chain.addresses.registry, nodeRegistryAbi, 'requestUnstake', [MIN]);
        const empty = await createTask(chain, 0, await taskParams(chain));
        await expectRevert(call(0, 'drawCommittee', [empty]), 'TaskNoActiveNodes');
      }));

    it('uses the stakes at creation: later stake, unstake and registrations do not change the draw', () =>
      isolated(chain, async () => {
        const id = await createTask(
          chain,
          0,
          await taskParams(chain, { committeeSize: 5, maxParticipants: 5 }),
        );
        await send(chain, 1, chain.addresses.registry, nodeRegistryAbi, 'stake', [MIN * 500n]);
        await send(chain, 2, chain.addresses.registry, nodeRegistryAbi, 'requestUnstake', [MIN]);
        await registerNode(chain, 6, MIN * 500n);
        const members = await drawn(id);
        assert.deepEqual([...members].sort(), NODES);
        for (const i of NODES) assert.equal((await participant(id, i)).stake, MIN);
        assert.equal(await view('isCommitteeMember', [id, account(6)]), false);
      }));

    it('is stake-weighted: a node with 1000x the stake is drawn almost always', () =>
      isolated(chain, async () => {
        await send(chain, 1, chain.addresses.registry, nodeRegistryAbi, 'stake', [MIN * 999n]);
        const params = await taskParams(chain, { committeeSize: 1, quorum: 1, maxParticipants: 1 });
        await call(0, 'createTasks', [Array.from({ length: 20 }, () => params)]);
        let chosen = 0;
        for (let id = 1n; id <= 20n; id++) if ((await drawn(id))[0] === 1) chosen++;
        // P(node 1) = 1000/1004 per task; fewer than 15 of 20 has probability below 1e-9.
        assert.ok(chosen >= 15, `node 1 drawn ${chosen}/20 times`);
      }));

    it('seeds the draw with the creation block hash, or the latest 256-block lattice point after that', () =>
      isolated(chain, async () => {
        const t = await now(chain);
        const far = await taskParams(chain, {
          commitDeadline: t + 10n * 86_400n,
          revealDeadline: t + 20n * 86_400n,
        });
        await call(0, 'createTasks', [[far, far, far]]);
        const created = (await getTask(1n)).createdBlock;
        const seedOf = async (id: bigint, block: bigint) => {
          const hash = (await chain.clients[0]!.publicClient.getBlock({ blockNumber: block })).hash;
          return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [hash, id]));
        };
        const drawnSeed = async (id: bigint) => {
          const receipt = await call(0, 'drawCommittee', [id]);
          const [event] = parseEventLogs({
            abi: taskMarketAbi,
            logs: receipt.logs,
            eventName: 'CommitteeDrawn',
          });
          assert.equal(event?.args.members.length, 3);
          return { seed: event!.args.seed, block: receipt.blockNumber };
        };
        const first = await drawnSeed(1n);
        assert.equal(first.seed, await seedOf(1n, created));
        // Past blockhash's window: the latest block created + 256k before the draw.
        await chain.test.mine({ blocks: 600 });
        const late = await drawnSeed(2n);
        const lattice = created + ((late.block - 1n - created) / 256n) * 256n;
        assert.ok(lattice > created && late.block - lattice <= 256n);
        assert.equal(late.seed, await seedOf(2n, lattice));
        // Any draw until the next lattice point gets the same block hash.
        await chain.test.mine({ blocks: Number(lattice + 256n - late.block - 2n) });
        const sameWindow = await drawnSeed(3n);
        assert.equal(sameWindow.seed, await seedOf(3n, lattice));
      }));
  });

  describe('settlement', () => {
    it('all agree: each winner gets reward(n) + bond and units for the reward paid to it', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { maxParticipants: 5, baseReward: parseEther('1') });
        const id = await createTask(chain, 0, params);
        const members = await drawn(id);
        for (const i of members) await commitAs(chain, i, id, A);
        // Every member committed: reveals open before the commit deadline.
        for (const i of members) await revealAs(chain, i, id, A);
        // Every committer revealed: finalization opens before the reveal deadline.
        const receipt = await call(9, 'finalize', [id]);
        const task = await getTask(id);
        assert.equal(task.status, FINALIZED);
        const [finalized] = parseEventLogs({
          abi: taskMarketAbi,
          logs: receipt.logs,
          eventName: 'TaskFinalized',
        });
        assert.deepEqual(finalized?.args, {
          taskId: id,
          winner: A,
          revealers: 3n,
          winners: 3n,
          reward: reward(params.baseReward, params.growthBps, 3),
          pot: 0n,
        });
        const minted = parseEventLogs({ abi: sharesAbi, logs: receipt.logs, eventName: 'TransferSingle' });
        assert.deepEqual(
          minted.map((e) => e.args.to),
          members.map((i) => account(i)),
        );
        assert.equal(task.winner, A);
        assert.equal(task.winners, 3);
        const each = reward(params.baseReward, params.growthBps, 3);
        assert.equal(task.reward, each);
        assert.equal(task.creatorRefund, task.escrow - 3n * each);
        await assertMatchesCore(id, members);
        // 1.1 CCD of reward each, 1e6 units per CCD.
        assert.deepEqual(await Promise.all(members.map((i) => unitsOf(id, i))), [
          1_100_000n,
          1_100_000n,
          1_100_000n,
        ]);
        const received = await claimAll(id, [0, ...members]);
        for (const i of members) assert.equal(received.get(i), each + params.bond);
        assert.equal(received.get(0), task.escrow - 3n * each);
        assert.ok(task.escrow > 3n * each);
        assert.equal(await balanceOf(chain, market), 0n);
      }));

    it('minority revealers and non-revealers lose bond and stake; the pot goes to the winners', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, {
          committeeSize: 5,
          maxParticipants: 5,
          quorum: 3,
          stakeSlash: 32n,
        });
        const id = await createTask(chain, 0, params);
        const members = await drawn(id);
        const [w1, w2, w3, minority, silent] = members as [number, number, number, number, number];
        for (const i of members) await commitAs(chain, i, id, i === minority ? B : A);
        for (const i of [w1, w2, w3]) await revealAs(chain, i, id, A);
        await revealAs(chain, minority, id, B);
        await expectRevert(call(0, 'finalize', [id]), 'TaskFinalizeTooEarly');
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        const task = await getTask(id);
        const pot = 2n * params.bond + 2n * params.stakeSlash;
        assert.equal(task.pot, pot);
        assert.equal(await stakeOf(minority), MIN - params.stakeSlash);
        assert.equal(await stakeOf(silent), MIN - params.stakeSlash);
        const each = reward(params.baseReward, params.growthBps, 4);
        assert.equal(task.creatorRefund, task.escrow - 3n * each + (pot % 3n));
        const preview = await assertMatchesCore(id, members);
        assert.equal(preview.potRemainder, pot % 3n);
        assert.notEqual(pot % 3n, 0n);
        assert.equal((await participant(id, minority)).payout, 0n);
        assert.equal(await unitsOf(id, minority), 0n);
        const received = await claimAll(id, [0, ...members]);
        for (const i of [w1, w2, w3]) assert.equal(received.get(i), each + params.bond + pot / 3n);
        assert.equal(received.has(minority) || received.has(silent), false);
        // Conservation: escrow + bonds + slashed stake all paid out.
        assert.equal(await balanceOf(chain, market), 0n);
      }));

    it('the majority is stake-weighted: one heavy node outvotes two light ones', () =>
      isolated(chain, async () => {
        for (const i of [4, 5])
          await send(chain, i, chain.addresses.registry, nodeRegistryAbi, 'requestUnstake', [MIN]);
        await send(chain, 1, chain.addresses.registry, nodeRegistryAbi, 'stake', [MIN * 3n]);
        const params = await taskParams(chain, { quorum: 1, baseReward: parseEther('1') });
        const id = await createTask(chain, 0, params);
        const members = await drawn(id);
        for (const i of members) await commitAs(chain, i, id, i === 1 ? B : A);
        for (const i of members) await revealAs(chain, i, id, i === 1 ? B : A);
        await call(0, 'finalize', [id]);
        const task = await getTask(id);
        assert.equal(task.winner, B);
        assert.equal(task.winners, 1);
        assert.equal(await unitsOf(id, 1), 1_100_000n);
        await assertMatchesCore(id, members);
        await claimAll(id, [0, ...members]);
        assert.equal(await balanceOf(chain, market), 0n);
      }));

    it('no strict majority: the task fails, revealers get their bonds and share what the silent member forfeits', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { committeeSize: 5, maxParticipants: 5, quorum: 1 });
        const id = await createTask(chain, 0, params);
        const members = await drawn(id);
        const digests = [A, A, B, B];
        for (const [k, i] of members.entries()) await commitAs(chain, i, id, digests[k] ?? A);
        for (const [k, i] of members.slice(0, 4).entries()) await revealAs(chain, i, id, digests[k]!);
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        const task = await getTask(id);
        assert.equal(task.status, FAILED);
        assert.equal(task.winner, ZERO32);
        // The silent member forfeits bond + stakeSlash (50 + 30), shared by the 4 revealers.
        const forfeits = params.bond + params.stakeSlash;
        assert.equal(task.creatorRefund, task.escrow + (forfeits % 4n));
        await assertMatchesCore(id, members);
        for (const i of members.slice(0, 4)) assert.equal(await stakeOf(i), MIN);
        assert.equal(await stakeOf(members[4]!), MIN - params.stakeSlash);
        for (const i of members) assert.equal(await unitsOf(id, i), 0n);
        const received = await claimAll(id, [0, ...members]);
        for (const i of members.slice(0, 4)) assert.equal(received.get(i), params.bond + forfeits / 4n);
        assert.equal(received.get(0), task.escrow + (forfeits % 4n));
        assert.equal(await balanceOf(chain, market), 0n);
      }));

    it('below quorum: the task fails even when all revealers agree', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { quorum: 3 });
        const id = await createTask(chain, 0, params);
        const members = await drawn(id);
        for (const i of members) await commitAs(chain, i, id, A);
        for (const i of members.slice(0, 2)) await revealAs(chain, i, id, A);
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        assert.equal((await getTask(id)).status, FAILED);
        await assertMatchesCore(id, members);
      }));

    it('a task nobody committed to fails after the reveal deadline and refunds the creator', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        const received = await claimAll(id, [0]);
        assert.equal(received.get(0), (await getTask(id)).escrow);
      }));

    it('batched commitMany, revealMany, finalizeMany and claimMany move tokens once per call', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { committeeSize: 5, maxParticipants: 5 });
        await call(0, 'createTasks', [[params, params, params]]);
        const ids = [1n, 2n, 3n];
        const node = 1;
        const commitments = await Promise.all(
          ids.map((id) => commitmentOf(chain, id, A, saltFor(node), node)),
        );
        await expectRevert(call(node, 'commitMany', [ids, commitments.slice(1)]), 'TaskLengthMismatch');
        const before = await balanceOf(chain, account(node));
        const receipt = await call(node, 'commitMany', [ids, commitments]);
        assert.equal(await balanceOf(chain, account(node)), before - 3n * params.bond);
        const tokenLogs = (r: typeof receipt) =>
          r.logs.filter((l) => l.address.toLowerCase() === chain.addresses.token.toLowerCase()).length;
        assert.equal(tokenLogs(receipt), 1);
        for (const i of [2, 3, 4, 5]) {
          const cs = await Promise.all(ids.map((id) => commitmentOf(chain, id, A, saltFor(i), i)));
          await call(i, 'commitMany', [ids, cs]);
        }
        await expectRevert(call(node, 'revealMany', [ids, [A, A], [saltFor(node)]]), 'TaskLengthMismatch');
        for (const i of NODES) {
          await call(i, 'revealMany', [ids, [A, A, A], [saltFor(i), saltFor(i), saltFor(i)]]);
        }
        await call(0, 'finalizeMany', [ids]);
        const claimReceipt = await call(node, 'claimMany', [ids]);
        assert.equal(tokenLogs(claimReceipt), 1);
        const each = reward(params.baseReward, params.growthBps, 5);
        assert.equal(await balanceOf(chain, account(node)), before + 3n * each);
        await expectRevert(call(node, 'claimMany', [ids]), 'TaskNothingToClaim');
      }));
  });

  describe('phase errors', () => {
    it('commit: unknown task, closed, not a member, already committed', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        await expectRevert(call(1, 'commit', [99n, A]), 'TaskNotFound');
        const members = await drawn(id);
        const outsider = NODES.find((i) => !members.includes(i))!;
        await expectRevert(commitAs(chain, outsider, id, A), 'TaskNotCommitteeMember');
        await commitAs(chain, members[0]!, id, A);
        await expectRevert(commitAs(chain, members[0]!, id, A), 'TaskAlreadyCommitted');
        await advance(chain, 100);
        await expectRevert(commitAs(chain, members[1]!, id, A), 'TaskCommitClosed');
      }));

    it('reveal: not open, not committed, already revealed, closed, already finalized', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const members = await drawn(id);
        const [m1, m2, m3] = members as [number, number, number];
        await commitAs(chain, m1, id, A);
        await commitAs(chain, m2, id, A);
        await expectRevert(revealAs(chain, m1, id, A), 'TaskRevealNotOpen');
        await expectRevert(call(1, 'reveal', [99n, A, saltFor(1)]), 'TaskNotFound');
        await advance(chain, 100);
        await expectRevert(revealAs(chain, m3, id, A), 'TaskNotCommitted');
        await revealAs(chain, m1, id, A);
        await expectRevert(revealAs(chain, m1, id, A), 'TaskAlreadyRevealed');
        await advance(chain, 100);
        await expectRevert(revealAs(chain, m2, id, A), 'TaskRevealClosed');
        await call(0, 'finalize', [id]);
        await expectRevert(revealAs(chain, m2, id, A), 'TaskAlreadyFinalized');
      }));

    it('finalize: unknown, too early, already finalized; claim: unknown, not finalized, nothing to claim', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        await expectRevert(call(0, 'finalize', [99n]), 'TaskNotFound');
        await expectRevert(call(0, 'finalize', [id]), 'TaskFinalizeTooEarly');
        await expectRevert(call(0, 'claim', [99n]), 'TaskNotFound');
        await expectRevert(call(0, 'claim', [id]), 'TaskNotFinalized');
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        await expectRevert(call(0, 'finalize', [id]), 'TaskAlreadyFinalized');
        await expectRevert(call(0, 'finalizeMany', [[id]]), 'TaskAlreadyFinalized');
        await expectRevert(call(7, 'claim', [id]), 'TaskNothingToClaim');
      }));
  });

  describe('attacks', () => {
    it('a node outside the committee cannot commit', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const members = await drawn(id);
        const outsider = NODES.find((i) => !members.includes(i))!;
        await expectRevert(commitAs(chain, outsider, id, A), 'TaskNotCommitteeMember');
        // An account that is not even a node fails the same way.
        await approveAll(chain, 8, market);
        await expectRevert(commitAs(chain, 8, id, A), 'TaskNotCommitteeMember');
      }));

    it("revealing another member's opening fails: the participant is part of the commitment", () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const [honest, thief] = (await drawn(id)) as [number, number, number];
        await commitAs(chain, honest, id, A);
        await commitAs(chain, thief, id, B);
        await advance(chain, 100);
        await revealAs(chain, honest, id, A);
        // The thief saw (A, salt) in the honest reveal and replays it as its own.
        await expectRevert(call(thief, 'reveal', [id, A, saltFor(honest)]), 'TaskCommitmentMismatch');
      }));

    it("copying another member's commitment gains nothing: it can never be opened", () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain, { quorum: 1 }));
        const [honest, copier, third] = (await drawn(id)) as [number, number, number];
        const honestCommitment = await commitmentOf(chain, id, A, saltFor(honest), honest);
        await commitAs(chain, honest, id, A);
        await call(copier, 'commit', [id, honestCommitment]);
        await commitAs(chain, third, id, A);
        await revealAs(chain, honest, id, A);
        await expectRevert(call(copier, 'reveal', [id, A, saltFor(honest)]), 'TaskCommitmentMismatch');
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
        assert.equal((await participant(id, copier)).payout, 0n);
        assert.equal((await getTask(id)).winner, A);
      }));

    it('a commitment replayed from another task cannot be opened there', () =>
      isolated(chain, async () => {
        const params = await taskParams(chain, { committeeSize: 5, maxParticipants: 5 });
        await call(0, 'createTasks', [[params, params]]);
        const node = 1;
        const first = await commitmentOf(chain, 1n, A, saltFor(node), node);
        await call(node, 'commit', [1n, first]);
        await call(node, 'commit', [2n, first]);
        await advance(chain, 100);
        await revealAs(chain, node, 1n, A);
        await expectRevert(revealAs(chain, node, 2n, A), 'TaskCommitmentMismatch');
      }));

    it('finalizing before the reveal deadline fails while a committer has not revealed', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const members = await drawn(id);
        for (const i of members) await commitAs(chain, i, id, A);
        for (const i of members.slice(0, 2)) await revealAs(chain, i, id, A);
        await expectRevert(call(0, 'finalize', [id]), 'TaskFinalizeTooEarly');
        await advance(chain, 200);
        await call(0, 'finalize', [id]);
      }));

    it('a contract node re-entering claim from a token receive hook is stopped by the reentrancy guard', () =>
      isolated(chain, async () => {
        const evil = await deployEvilStack(chain);
        const exec = (target: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
          send(chain, 0, evil.attacker, reentrantAttackerAbi, 'execute', [
            target,
            encodeFunctionData({ abi, functionName, args }),
          ]);
        await send(chain, 0, evil.token, reentrantTokenAbi, 'transfer', [evil.attacker, 1000n]);
        await exec(evil.token, reentrantTokenAbi, 'approve', [evil.registry, 1000n]);
        await exec(evil.token, reentrantTokenAbi, 'approve', [evil.market, 1000n]);
        await exec(evil.registry, nodeRegistryAbi, 'register', ['0x01', '0x', 10n]);
        await send(chain, 0, evil.token, reentrantTokenAbi, 'approve', [evil.market, 10n ** 30n]);
        const params = await taskParams(chain, {
          committeeSize: 1,
          quorum: 1,
          maxParticipants: 1,
          bond: 5n,
          stakeSlash: 0n,
        });
        await send(chain, 0, evil.market, taskMarketAbi, 'createTask', [params]);
        const salt = saltFor(0);
        const commitment = await read<Hex>(chain, evil.market, taskMarketAbi, 'commitmentOf', [
          1n,
          A,
          salt,
          evil.attacker,
        ]);
        await exec(evil.market, taskMarketAbi, 'commit', [1n, commitment]);
        await exec(evil.market, taskMarketAbi, 'reveal', [1n, A, salt]);
        await send(chain, 0, evil.market, taskMarketAbi, 'finalize', [1n]);
        // Minting shares did not call the receiver hook, so finalization offered no way back in.
        assert.equal(await read(chain, evil.attacker, reentrantAttackerAbi, 'sharesHookCalls'), 0n);
        const owed = await read<bigint>(chain, evil.market, taskMarketAbi, 'payoutOf', [1n, evil.attacker]);
        assert.equal(owed, params.baseReward + 5n);
        await send(chain, 0, evil.token, reentrantTokenAbi, 'setHookTarget', [evil.attacker]);
        await send(chain, 0, evil.attacker, reentrantAttackerAbi, 'arm', [evil.market, 1n]);
        const before = await read<bigint>(chain, evil.token, reentrantTokenAbi, 'balanceOf', [evil.attacker]);
        await exec(evil.market, taskMarketAbi, 'claim', [1n]);
        assert.equal(await read(chain, evil.attacker, reentrantAttackerAbi, 'reentryAttempts'), 1n);
        assert.equal(await read(chain, evil.attacker, reentrantAttackerAbi, 'reentrySucceeded'), false);
        const inner = await read<Hex>(chain, evil.attacker, reentrantAttackerAbi, 'reentryError');
        assert.equal(inner.slice(0, 10), toFunctionSelector('ReentrancyGuardReentrantCall()'));
        const after = await read<bigint>(chain, evil.token, reentrantTokenAbi, 'balanceOf', [evil.attacker]);
        assert.equal(after - before, owed);
        const args = await expectRevert(
          exec(evil.market, taskMarketAbi, 'claim', [1n]),
          'AttackerCallFailed',
        );
        assert.equal(
          decodeErrorResult({ abi: taskMarketAbi, data: args[0] as Hex }).errorName,
          'TaskNothingToClaim',
        );
      }));

    it('claiming twice pays once', () =>
      isolated(chain, async () => {
        const id = await createTask(chain, 0, await taskParams(chain));
        const members = await drawn(id);
        for (const i of members) await commitAs(chain, i, id, A);
        for (const i of members) await revealAs(chain, i, id, A);
        await call(0, 'finalize', [id]);
        const m = members[0]!;
        const before = await balanceOf(chain, account(m));
        await call(m, 'claim', [id]);
        const after = await balanceOf(chain, account(m));
        assert.ok(after > before);
        await expectRevert(call(m, 'claim', [id]), 'TaskNothingToClaim');
        assert.equal(await balanceOf(chain, account(m)), after);
        assert.equal((await participant(id, m)).claimed, true);
        assert.equal(await view('payoutOf', [id, account(m)]), 0n);
      }));
  });

  it('property: on-chain settlement equals src/core previewSettlement and conserves tokens', async () => {
    const C = id32('result C');
    const behaviour = fc.constantFrom('A', 'B', 'C', 'silent', 'absent');
    const scenario = fc.record({
      extraStakes: fc.array(fc.bigInt(0n, 3n), { minLength: 5, maxLength: 5 }),
      behaviours: fc.array(behaviour, { minLength: 5, maxLength: 5 }),
      baseReward: fc.oneof(fc.bigInt(0n, 10n ** 6n), fc.constant(MIN / 2n)),
      growthBps: fc.integer({ min: 0, max: 20_000 }),
      bond: fc.bigInt(0n, 1000n),
      stakeSlash: fc.constantFrom(0n, 1n, MIN / 3n, MIN),
      quorum: fc.integer({ min: 1, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, (sc) =>
        isolated(chain, async () => {
          for (const [k, extra] of sc.extraStakes.entries()) {
            if (extra > 0n)
              await send(chain, NODES[k]!, chain.addresses.registry, nodeRegistryAbi, 'stake', [MIN * extra]);
          }
          const params = await taskParams(chain, {
            committeeSize: 5,
            maxParticipants: 5,
            quorum: sc.quorum,
            baseReward: sc.baseReward,
            growthBps: sc.growthBps,
            // Within the deployment's bounds: at most 10x the base reward.
            bond: min(sc.bond, sc.baseReward * 10n),
            stakeSlash: min(sc.stakeSlash, sc.baseReward * 10n),
          });
          const id = await createTask(chain, 0, params);
          const members = await drawn(id);
          const digestOf = (i: number) => ({ A, B, C })[sc.behaviours[i - 1] as 'A' | 'B' | 'C'] ?? A;
          for (const i of members) {
            if (sc.behaviours[i - 1] !== 'absent') await commitAs(chain, i, id, digestOf(i));
          }
          await advance(chain, 100);
          for (const i of members) {
            if (['A', 'B', 'C'].includes(sc.behaviours[i - 1]!)) await revealAs(chain, i, id, digestOf(i));
          }
          await advance(chain, 100);
          await call(0, 'finalize', [id]);
          await assertMatchesCore(id, members);
          await claimAll(id, [0, ...members]);
          assert.equal(await balanceOf(chain, market), 0n);
        }),
      ),
      { numRuns: 12 },
    );
  });

  it('property: commitmentOf equals src/core commitment byte for byte', async () => {
    const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
    const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)));
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(0n, maxUint256),
        bytes32,
        bytes32,
        address,
        async (taskId, digest, salt, who) => {
          const onChain = await view<Hex>('commitmentOf', [taskId, digest, salt, who]);
          assert.equal(onChain, commitment({ taskId, resultDigest: digest, salt, participant: who }));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('artifactIdOf is uint256(keccak256(abi.encode(taskId)))', async () => {
    for (const taskId of [0n, 1n, 7n, maxUint256]) {
      const expected = BigInt(keccak256(encodeAbiParameters([{ type: 'uint256' }], [taskId])));
      assert.equal(await view('artifactIdOf', [taskId]), expected);
    }
  });

  it('rewardFor matches the core reward formula', async () => {
    for (const [base, growth, n] of [
      [1000n, 500, 1],
      [1000n, 500, 7],
      [12_345n, 9_999, 64],
      [parseEther('1'), 1, 3],
    ] as const) {
      assert.equal(await view('rewardFor', [base, growth, BigInt(n)]), reward(base, growth, n));
    }
  });
});

/** Deploys a separate registry, shares and market around ReentrantToken, plus an attacker contract owned by account 0. */
async function deployEvilStack(chain: TestChain) {
  const clients = chain.clients[0]!;
  const deploy = async (abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
    const hash = await clients.walletClient.deployContract({ abi, bytecode, args });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    return receipt.contractAddress!;
  };
  const token = await deploy(reentrantTokenAbi, reentrantTokenBytecode, [account(0), 10n ** 30n]);
  const registry = await deploy(nodeRegistryAbi, nodeRegistryBytecode, [token, 1n, 10n]);
  const shares = await deploy(sharesAbi, sharesBytecode, ['']);
  const limits = {
    minCommitWindow: 1n,
    minRevealWindow: 1n,
    maxDuration: 86_400n,
    maxBondMultiple: 10,
    maxSlashMultiple: 10,
    feeBps: 0,
  };
  const credits = await deploy(accessCreditsAbi, accessCreditsBytecode, [
    token,
    shares,
    3600n,
    1000n,
    1n,
    3600n,
  ]);
  const market = await deploy(taskMarketAbi, taskMarketBytecode, [token, registry, shares, credits, limits]);
  const attacker = await deploy(reentrantAttackerAbi, reentrantAttackerBytecode, []);
  await send(chain, 0, registry, nodeRegistryAbi, 'setSlasher', [market, true]);
  await send(chain, 0, shares, sharesAbi, 'setMinter', [market, true]);
  return { token, registry, shares, market, attacker };
}

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type Address, type Hex, keccak256, parseEther, parseEventLogs, toHex } from 'viem';
import { concordTokenAbi, nodeRegistryAbi, taskMarketAbi } from '../../generated/contracts/index.ts';
import { randomSalt } from '../core/salt.ts';
import { claim } from './actions/claim.ts';
import { claimMany } from './actions/claimMany.ts';
import { commit } from './actions/commit.ts';
import { commitMany } from './actions/commitMany.ts';
import { createTask } from './actions/createTask.ts';
import { finalize } from './actions/finalize.ts';
import { finalizeMany } from './actions/finalizeMany.ts';
import { requestUnstake } from './actions/requestUnstake.ts';
import { reveal } from './actions/reveal.ts';
import { revealMany } from './actions/revealMany.ts';
import { stake } from './actions/stake.ts';
import { withdrawStake } from './actions/withdrawStake.ts';
import type { ConcordContext } from './context.ts';
import { type DevChain, startDevChain } from './devChain.ts';
import { increaseTime, revertToSnapshot, snapshot } from './devRpc.ts';
import { taskKindId } from './taskTypes.ts';

// Random action sequences against the real contracts; after every action the
// token supply must be fully accounted for, read from chain state only.

const ACTORS = 4;
let dev: DevChain;
let everyone: ConcordContext[];
before(async () => {
  dev = await startDevChain({ actors: ACTORS, registerStake: parseEther('1000') });
  everyone = [dev.deployer, ...dev.actors];
});
after(async () => await dev?.stop());

const DIGESTS = [keccak256(toHex('majority')), keccak256(toHex('minority'))] as const;

type Action =
  | {
      type: 'create';
      by: number;
      committee: number;
      quorum: number;
      extra: number;
      bond: bigint;
      slash: bigint;
    }
  | { type: 'commit' | 'reveal'; by: number; task: number; digest: number }
  | { type: 'commitAll' | 'revealAll'; by: number }
  | { type: 'finalize' | 'claim'; by: number; task: number }
  | { type: 'finalizeSome' | 'claimSome'; by: number; mask: number }
  | { type: 'stake' | 'unstake'; by: number; amount: bigint }
  | { type: 'withdraw'; by: number }
  | { type: 'wait'; seconds: number };

const who = fc.nat({ max: ACTORS });
const actor = fc.integer({ min: 1, max: ACTORS });
const task = fc.nat({ max: 7 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constant('create' as const),
    by: who,
    committee: fc.integer({ min: 1, max: ACTORS }),
    quorum: fc.integer({ min: 1, max: ACTORS }),
    extra: fc.nat({ max: 2 }),
    bond: fc.bigInt({ min: 0n, max: parseEther('3') }),
    // Up to the deployment's bound of 10x the base reward (7 CCD), and a little beyond it.
    slash: fc.bigInt({ min: 0n, max: parseEther('80') }),
  }),
  fc.record({ type: fc.constant('commit' as const), by: actor, task, digest: fc.nat({ max: 3 }) }),
  fc.record({ type: fc.constant('reveal' as const), by: actor, task, digest: fc.nat({ max: 3 }) }),
  fc.record({ type: fc.constantFrom('commitAll' as const, 'revealAll' as const), by: actor }),
  fc.record({ type: fc.constantFrom('finalize' as const, 'claim' as const), by: who, task }),
  fc.record({
    type: fc.constantFrom('finalizeSome' as const, 'claimSome' as const),
    by: who,
    mask: fc.nat({ max: 255 }),
  }),
  fc.record({
    type: fc.constantFrom('stake' as const, 'unstake' as const),
    by: actor,
    amount: fc.bigInt({ min: 1n, max: parseEther('600') }),
  }),
  fc.record({ type: fc.constant('withdraw' as const), by: actor }),
  fc.record({ type: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 4000 }) }),
);

/** Secrets each actor committed with, to reveal later (not a model of balances). */
type Secrets = Map<string, { resultDigest: Hex; salt: Hex }>;
const key = (taskId: bigint, account: Address) => `${taskId}:${account}`;

const stats = new Map<string, number>();
const count = (what: string) => stats.set(what, (stats.get(what) ?? 0) + 1);

async function apply(a: Action, tasks: bigint[], secrets: Secrets): Promise<void> {
  const by = 'by' in a ? everyone[a.by]! : dev.deployer;
  const pick = (i: number) => tasks[i % Math.max(1, tasks.length)];
  const open = async (ctx: ConcordContext, taskId: bigint, digest: number) => {
    const resultDigest = DIGESTS[digest === 3 ? 1 : 0];
    const secret = { resultDigest, salt: randomSalt() };
    await commit(ctx, { taskId, ...secret });
    secrets.set(key(taskId, ctx.account.address), secret);
  };
  switch (a.type) {
    case 'create': {
      const now = (await by.publicClient.getBlock()).timestamp;
      const quorum = Math.min(a.quorum, a.committee);
      const { taskId } = await createTask(by, {
        kind: taskKindId('fuzz'),
        specDigest: keccak256(toHex(`spec ${tasks.length}`)),
        baseReward: parseEther('7'),
        growthBps: 2500,
        bond: a.bond,
        stakeSlash: a.slash,
        committeeSize: a.committee,
        quorum,
        maxParticipants: a.committee + a.extra,
        commitDeadline: now + 600n,
        revealDeadline: now + 1200n,
      });
      tasks.push(taskId);
      return;
    }
    case 'commit': {
      const taskId = pick(a.task);
      if (taskId !== undefined) await open(by, taskId, a.digest);
      return;
    }
    case 'commitAll': {
      const chosen = tasks.map((taskId) => ({ taskId, resultDigest: DIGESTS[0], salt: randomSalt() }));
      await commitMany(by, { commits: chosen });
      for (const c of chosen) secrets.set(key(c.taskId, by.account.address), c);
      return;
    }
    case 'reveal': {
      const taskId = pick(a.task);
      const secret = taskId === undefined ? undefined : secrets.get(key(taskId, by.account.address));
      if (taskId !== undefined && secret) await reveal(by, { taskId, ...secret });
      return;
    }
    case 'revealAll': {
      const mine = tasks.flatMap((taskId) => {
        const s = secrets.get(key(taskId, by.account.address));
        return s ? [{ taskId, ...s }] : [];
      });
      await revealMany(by, { reveals: mine });
      return;
    }
    case 'finalize': {
      const taskId = pick(a.task);
      if (taskId === undefined) return;
      const { receipt } = await finalize(by, { taskId });
      const penalties = parseEventLogs({
        abi: taskMarketAbi,
        logs: receipt.logs,
        eventName: 'ParticipantPenalized',
      });
      if (penalties.some((p) => p.args.stakeSlashed > 0n)) count('slash ok');
      return;
    }
    case 'finalizeSome':
    case 'claimSome': {
      // The tasks whose index bit is set in the mask, through the batched functions.
      const taskIds = tasks.filter((_, i) => (a.mask >> i) & 1);
      if (taskIds.length === 0) return;
      if (a.type === 'claimSome') await claimMany(by, { taskIds });
      else await finalizeMany(by, { taskIds });
      return;
    }
    case 'claim': {
      const taskId = pick(a.task);
      if (taskId !== undefined) await claim(by, { taskId });
      return;
    }
    case 'stake':
      await stake(by, { amount: a.amount });
      return;
    case 'unstake':
      await requestUnstake(by, { amount: a.amount });
      return;
    case 'withdraw':
      await withdrawStake(by);
      return;
    case 'wait':
      await increaseTime(dev.deployer, a.seconds);
      return;
  }
}

/** Checks from chain state that every token is held by an actor or owed by a contract. */
async function assertConserved(): Promise<void> {
  const client = dev.deployer.publicClient;
  const { token, registry, taskMarket, shares, accessCredits } = dev.deployment.addresses;
  const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
    client.readContract({ address, abi: abi as never, functionName, args } as never) as Promise<T>;
  const balance = (a: Address) => read<bigint>(token, concordTokenAbi, 'balanceOf', [a]);

  // Reads are issued concurrently, so the client sends each group as one JSON-RPC batch.
  const all = <T>(reads: Promise<T>[]) => Promise.all(reads);
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  const supply = await read<bigint>(token, concordTokenAbi, 'totalSupply');
  const held = sum(await all(everyone.map((ctx) => balance(ctx.account.address))));

  const nodes = await read<Address[]>(registry, nodeRegistryAbi, 'nodes');
  const stakes = sum(
    (
      await all(
        nodes.map((n) => read<{ stake: bigint; pending: bigint }>(registry, nodeRegistryAbi, 'getNode', [n])),
      )
    ).map((n) => n.stake + n.pending),
  );
  assert.equal(await balance(registry), stakes, 'registry holds exactly the stakes');

  type StoredTask = {
    status: number;
    escrow: bigint;
    committed: number;
    creator: Address;
    params: { bond: bigint };
  };
  const count = await read<bigint>(taskMarket, taskMarketAbi, 'taskCount');
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  const owedByTask = await all(
    ids.map(async (id) => {
      const t = await read<StoredTask>(taskMarket, taskMarketAbi, 'getTask', [id]);
      // Open: the escrow and every posted bond. Settled: whatever is still claimable.
      if (t.status === 1) return t.escrow + BigInt(t.committed) * t.params.bond;
      const committee = await read<Address[]>(taskMarket, taskMarketAbi, 'committeeOf', [id]);
      const owed = [...new Set<Address>([t.creator, ...committee])];
      return sum(await all(owed.map((a) => read<bigint>(taskMarket, taskMarketAbi, 'payoutOf', [id, a]))));
    }),
  );
  const escrowAndBonds = sum(owedByTask);
  assert.equal(
    await balance(taskMarket),
    escrowAndBonds,
    'task market holds exactly escrows, bonds and payouts',
  );

  const other = (await balance(shares)) + (await balance(accessCredits));
  assert.equal(held + stakes + escrowAndBonds + other, supply, 'supply is conserved');
}

test('random task, stake and time sequences conserve the token supply', { timeout: 240_000 }, async () => {
  let base = await snapshot(dev.deployer);
  const slashing: Action[] = [
    {
      type: 'create',
      by: 0,
      committee: 4,
      quorum: 2,
      extra: 0,
      bond: parseEther('1'),
      slash: parseEther('70'),
    },
    { type: 'commit', by: 1, task: 0, digest: 0 },
    { type: 'commit', by: 2, task: 0, digest: 0 },
    { type: 'commit', by: 3, task: 0, digest: 0 },
    { type: 'commit', by: 4, task: 0, digest: 3 },
    { type: 'unstake', by: 4, amount: parseEther('500') },
    { type: 'revealAll', by: 1 },
    { type: 'reveal', by: 2, task: 0, digest: 0 },
    { type: 'reveal', by: 4, task: 0, digest: 0 },
    { type: 'wait', seconds: 1300 },
    { type: 'finalize', by: 3, task: 0 },
    { type: 'claim', by: 1, task: 0 },
    { type: 'claim', by: 0, task: 0 },
    { type: 'claim', by: 3, task: 0 },
    { type: 'wait', seconds: 3600 },
    { type: 'withdraw', by: 4 },
  ];
  const batched: Action[] = [
    { type: 'create', by: 0, committee: 4, quorum: 1, extra: 0, bond: parseEther('1'), slash: 0n },
    { type: 'create', by: 0, committee: 4, quorum: 1, extra: 1, bond: parseEther('2'), slash: 0n },
    { type: 'commitAll', by: 1 },
    { type: 'commitAll', by: 2 },
    { type: 'revealAll', by: 1 },
    { type: 'revealAll', by: 2 },
    { type: 'wait', seconds: 1300 },
    { type: 'finalizeSome', by: 3, mask: 3 },
    { type: 'claimSome', by: 1, mask: 3 },
    { type: 'claimSome', by: 0, mask: 3 },
  ];
  await fc.assert(
    fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 25, size: 'max' }), async (actions) => {
      await revertToSnapshot(dev.deployer, base);
      base = await snapshot(dev.deployer);
      const tasks: bigint[] = [];
      const secrets: Secrets = new Map();
      for (const action of actions) {
        let outcome = 'ok';
        try {
          await apply(action, tasks, secrets);
        } catch (err) {
          if ((err as Error).name !== 'ChainRevertError') throw err;
          outcome = 'reverted';
        }
        count(`${action.type} ${outcome}`);
        await assertConserved();
      }
    }),
    { numRuns: 15, examples: [[slashing], [batched]] },
  );
  // The sequences must exercise the protocol, not only bounce off reverts.
  for (const type of [
    'finalizeSome',
    'claimSome',
    'create',
    'commit',
    'reveal',
    'finalize',
    'slash',
    'claim',
    'stake',
    'unstake',
    'withdraw',
  ]) {
    assert.ok((stats.get(`${type} ok`) ?? 0) > 0, `some ${type} succeeded: ${JSON.stringify([...stats])}`);
  }
});

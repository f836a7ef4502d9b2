import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Hex, parseEther } from 'viem';
import { claim } from '../../src/chain/actions/claim.ts';
import { createTask } from '../../src/chain/actions/createTask.ts';
import { finalize } from '../../src/chain/actions/finalize.ts';
import { getTask } from '../../src/chain/actions/getTask.ts';
import { participantState } from '../../src/chain/actions/participantState.ts';
import { payoutOf } from '../../src/chain/actions/payoutOf.ts';
import { writeDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { increaseTime, mineBlocks } from '../../src/chain/devRpc.ts';
import { taskKindId } from '../../src/chain/taskTypes.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { digestBytes } from '../../src/core/digest.ts';
import type { TaskView } from '../../src/node/api/types.ts';
import { openStore } from '../../src/store/openStore.ts';
import { matvecKind } from '../../src/tasks/matvec.ts';
import { MemoryBlobs } from '../../src/tasks/testing.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { type NodeProcess, spawnNode, waitFor } from './nodeProcess.ts';

// Three `concord node start` processes on one anvil. Node 0's clock is right; a
// test-only preload module (skewClock.mjs) makes node 1's clock run 120 s fast
// and node 2's 120 s slow. Every task below has a 90-s commit window, shorter
// than the skew, so a node that judged deadlines by its own clock would think
// the window closed (fast) or sign blob requests that expired long ago (slow).
const SKEW_SECONDS = [0, 120, -120];
const BASE_REWARD = parseEther('1');
const BOND = parseEther('1');
const preload = new URL('./skewClock.mjs', import.meta.url).href;
let dir: string;
let chain: DevChain;
let deploymentFile: string;
const nodes: NodeProcess[] = [];
/** A task created on chain by an account that runs no node: nobody can serve its spec. */
let orphan: bigint;
let orphanCreatedAt: number;
/** The tasks every node computes and is paid for. */
const paid: bigint[] = [];

const dataDir = (i: number) => join(dir, `node${i}`);
const logs = () => nodes.map((n, i) => `--- node${i}\n${n.output.slice(-20).join('\n')}`).join('\n');

async function start(i: number): Promise<void> {
  const keyFile = join(dir, `node${i}.key`);
  writeFileSync(keyFile, devAccount(i + 1).privateKey, { mode: 0o600 });
  const skew = SKEW_SECONDS[i]!;
  nodes[i] = await spawnNode({
    rpcUrl: chain.anvil.rpcUrl,
    deploymentFile,
    keyFile,
    dataDir: dataDir(i),
    bootstrap: i === 0 ? [] : nodes[0]!.info.multiaddrs,
    ...(skew === 0
      ? {}
      : {
          env: {
            ...process.env,
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
            CONCORD_TEST_CLOCK_SKEW_SECONDS: String(skew),
          },
        }),
  });
}

async function api(i: number, path: string, init: RequestInit = {}) {
  const token = readFileSync(join(dataDir(i), 'api-token'), 'utf8').trim();
  const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` };
  const res = await fetch(`${nodes[i]!.info.apiUrl}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Uploads a matvec problem to node `i` and creates the task there (so node `i` serves its inputs). */
async function createMatvecTask(i: number, seed: number): Promise<{ id: bigint; honest: Hex }> {
  const rows = 5;
  const cols = 8;
  const w = new Float32Array(rows * cols).map((_, k) => ((k * seed) % 13) / 13 - 0.5);
  const x = new Float32Array(cols).map((_, k) => ((k + seed) % 5) / 5 - 0.5);
  const put = async (bytes: Uint8Array) => {
    const res = await api(i, '/v1/blobs', {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    return res.body.digest as string;
  };
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: await put(encodeTensor({ dtype: 'f32', shape: [rows, cols], data: w })),
    vector: await put(encodeTensor({ dtype: 'f32', shape: [cols], data: x })),
  };
  const local = new MemoryBlobs();
  local.putF32([rows, cols], w);
  local.putF32([cols], x);
  const honest = digestBytes(await matvecKind.run(matvecKind.parseSpec(spec), local.context()));
  const res = await api(i, '/v1/tasks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      spec,
      baseReward: BASE_REWARD.toString(),
      bond: BOND.toString(),
      stakeSlash: parseEther('1').toString(),
      maxParticipants: 3,
      quorum: 3,
      committeeSize: 3,
      commitSeconds: 90,
      revealSeconds: 60,
    }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: BigInt(res.body.taskId as string), honest };
}

/** The anvil's own time (the timestamp a transaction sent now would execute at). */
async function anvilNow(): Promise<number> {
  return Number((await chain.deployer.publicClient.getBlock({ blockTag: 'pending' })).timestamp);
}

/** `concord_errors_total{code}` of node `i`. */
async function errorCount(i: number, code: string): Promise<number> {
  const text = await (await fetch(`${nodes[i]!.info.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`concord_errors_total{code="${code}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-skew-'));
  chain = await startDevChain({ actors: 3 });
  deploymentFile = join(dir, 'deployment.json');
  writeDeployment(deploymentFile, chain.deployment);
  await start(0);
  await Promise.all([1, 2].map(start));
  // A member of this task cannot fetch its spec (its creator runs no node), so
  // every node keeps failing to compute it: the back-off scenario, observed
  // while the other tests run.
  const now = await anvilNow();
  orphanCreatedAt = Date.now();
  orphan = (
    await createTask(chain.deployer, {
      kind: taskKindId('matvec'),
      specDigest: `0x${'5a'.repeat(32)}`,
      baseReward: BASE_REWARD,
      bond: BOND,
      stakeSlash: parseEther('1'),
      maxParticipants: 3,
      quorum: 2,
      committeeSize: 3,
      commitDeadline: BigInt(now + 90),
      revealDeadline: BigInt(now + 150),
    })
  ).taskId;
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('clock skew of ±120 s on one node (three node processes on anvil)', { timeout: 180_000 }, () => {
  it('a fast and a slow node compute, commit, reveal and are paid, whoever serves the inputs', async () => {
    // Task a: inputs served by node 0 (right clock). Task b: inputs served by
    // node 1, whose clock is 120 s fast, to node 0 and to node 2 (240 s behind it).
    const tasks = await Promise.all([createMatvecTask(0, 3), createMatvecTask(1, 7)]);
    paid.push(...tasks.map((t) => t.id));
    const members = nodes.map((n) => n.info.address);
    for (const { id, honest } of tasks) {
      const view = await waitFor(
        `task ${id} finalized`,
        async () => {
          const { body } = await api(0, `/v1/tasks/${id}`);
          const v = body as TaskView;
          return v.state === 'finalized' || v.state === 'failed' ? v : undefined;
        },
        60_000,
        logs,
      );
      assert.equal(view.state, 'finalized');
      assert.equal(view.winner, honest);
      assert.equal(view.reveals.length, 3, 'every node revealed');
      await waitFor(
        `claims of task ${id}`,
        async () => {
          const states = await Promise.all(
            members.map((account) => participantState(chain.deployer, { taskId: id, account })),
          );
          const owed = await Promise.all(
            members.map((account) => payoutOf(chain.deployer, { taskId: id, account })),
          );
          return states.every((s) => s.claimed) && owed.every((o) => o === 0n) ? states : undefined;
        },
        30_000,
        logs,
      ).then((states) => {
        for (const s of states) assert.equal(s.payout, BASE_REWARD + BOND, 'reward and bond paid');
      });
    }
    for (const [i, n] of nodes.entries()) {
      assert.doesNotMatch(
        n.output.join('\n'),
        /BlobFetchExpiredError|EXPIRED/,
        `node ${i} had a request refused`,
      );
    }
  });

  it('a node whose fetch keeps being refused backs off and says so once', async () => {
    // The orphan task has been failing on every node since `before`; give the
    // back-off time to show (old code: a retry every round on the slow node).
    const observed = Math.max(0, 9_000 - (Date.now() - orphanCreatedAt));
    await new Promise((r) => setTimeout(r, observed));
    const seconds = (Date.now() - orphanCreatedAt) / 1000;
    for (const [i, n] of nodes.entries()) {
      const attempts = await errorCount(i, 'BLOB_UNAVAILABLE');
      const lines = n.output.filter((l) => l.includes(`task ${orphan}:`) && l.includes('BLOB_UNAVAILABLE'));
      assert.ok(attempts >= 2, `node ${i} retried (${attempts} attempts in ${seconds} s)\n${logs()}`);
      // Attempts at 0, 2, 6, 14 s of chain time (back-off 2, 4, 8 s…): a handful, not one per round.
      assert.ok(attempts <= 5, `node ${i} backed off (${attempts} attempts in ${seconds} s)\n${logs()}`);
      assert.equal(lines.length, 1, `node ${i} said once why:\n${lines.slice(0, 5).join('\n')}`);
      assert.match(lines[0]!, /no verified peer binding/);
    }
  });

  it('the orphan task fails cleanly: its creator is refunded, no node loses anything, journals match', async () => {
    const now = await anvilNow();
    const task = await getTask(chain.deployer, { taskId: orphan });
    await increaseTime(chain.deployer, Number(task.params.revealDeadline) - now + 1);
    await finalize(chain.deployer, { taskId: orphan }).catch(() => undefined); // a node may have finalized first
    await claim(chain.deployer, { taskId: orphan });
    const settled = await getTask(chain.deployer, { taskId: orphan });
    assert.equal(settled.status, 'failed');
    assert.equal(settled.creatorClaimed, true);
    // The journal records a claim once it is confirmed (blocks on top); this chain mines only on transactions.
    await mineBlocks(chain.deployer, 2);
    for (const n of nodes) {
      await waitFor(
        'the claims confirmed in the journal',
        async () => {
          const text = await (await fetch(`${n.info.apiUrl}/metrics`)).text();
          const claimed = Number(/concord_tasks\{state="claimed"\} (\d+)/.exec(text)?.[1] ?? 0);
          return claimed >= paid.length ? true : undefined;
        },
        30_000,
      );
    }
    await Promise.all(nodes.map((n) => n.stop()));
    for (const [i, n] of nodes.entries()) {
      const store = openStore(dataDir(i));
      try {
        assert.deepEqual(store.journal.pendingTaskIds(), [], `node ${i} has nothing pending`);
        for (const id of paid) assert.equal(store.journal.get(id)?.state, 'claimed', `node ${i}, task ${id}`);
        assert.equal(store.journal.get(orphan), undefined, `node ${i} never computed the orphan`);
        const p = await participantState(chain.deployer, { taskId: orphan, account: n.info.address });
        assert.equal(p.status, 'member');
        assert.equal(p.slashed, 0n);
      } finally {
        store.close();
      }
    }
  });
});

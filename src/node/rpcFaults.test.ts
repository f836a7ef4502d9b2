import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { parseEther } from 'viem';
import { getTask } from '../chain/actions/getTask.ts';
import { participantState } from '../chain/actions/participantState.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { setIntervalMining } from '../chain/devRpc.ts';
import { type RpcProxy, startRpcProxy } from '../chain/testing/rpcProxy.ts';
import { encodeTensor } from '../core/codec.ts';
import { KERNEL_VERSION } from '../tensor/index.ts';
import type { RunningNode } from './daemon.ts';
import { startLocalNodes } from './localNodes.ts';
import { DEFAULT_TASK_POLICY } from './worker/taskPolicy.ts';

// Three in-process nodes, each reaching anvil through its own JSON-RPC proxy
// failing 20% of requests (5xx and connection resets); a block a second, so
// the members race to finalize every task in the same block.
const COUNT = 3;
let chain: DevChain;
let dir: string;
let nodes: RunningNode[] = [];
const proxies: RpcProxy[] = [];
const logs: string[][] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-rpc-faults-'));
  chain = await startDevChain({ actors: COUNT, deploy: { minCommitWindow: 1n, minRevealWindow: 1n } });
  for (let i = 0; i < COUNT; i++) {
    proxies.push(await startRpcProxy({ target: chain.anvil.rpcUrl, failRate: 0, seed: 11 + i }));
    logs.push([]);
  }
  nodes = await startLocalNodes({
    chain,
    dir,
    count: COUNT,
    config: (i) => ({
      rpcUrl: proxies[i]!.url,
      pollIntervalMs: 200,
      taskPolicy: { ...DEFAULT_TASK_POLICY, minCommitSeconds: 1, minRevealSeconds: 1 },
      log: (line) => logs[i]!.push(line),
    }),
  });
  await setIntervalMining(chain.deployer, 1);
  for (const p of proxies) p.setFailRate(0.2);
});

after(async () => {
  for (const n of nodes) await n.stop();
  for (const p of proxies) await p.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const allLogs = () => logs.map((l, i) => `--- node${i}\n${l.slice(-30).join('\n')}`).join('\n');

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${allLogs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates a matvec task through node 0's API (its uploads and its send go through its flaky proxy too). */
async function createTask(seed: number): Promise<bigint> {
  const node = nodes[0]!;
  const put = (shape: number[], data: Float32Array) =>
    node.store.blobs.putBlob(encodeTensor({ dtype: 'f32', shape, data }));
  const spec = {
    kind: 'matvec',
    kernel: KERNEL_VERSION,
    matrix: put(
      [4, 6],
      new Float32Array(24).map((_, i) => ((i * seed) % 7) / 7),
    ),
    vector: put(
      [6],
      new Float32Array(6).map((_, i) => (i + seed) / 6),
    ),
  };
  const res = await fetch(`${node.apiUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${node.apiToken.reveal()}` },
    body: JSON.stringify({
      spec,
      baseReward: parseEther('1').toString(),
      bond: parseEther('1').toString(),
      stakeSlash: parseEther('2').toString(),
      maxParticipants: COUNT,
      quorum: 2,
      committeeSize: COUNT,
      commitSeconds: 30,
      revealSeconds: 10,
    }),
  });
  const body = (await res.json()) as { taskId?: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  return BigInt(body.taskId!);
}

it('with 20% of RPC requests failing, every task is finalized, every member paid, and no revert goes unnamed', async (t) => {
  const ids = await Promise.all([1, 2, 3].map((seed) => createTask(seed)));
  for (const taskId of ids) {
    await waitFor(
      `task ${taskId} settled and claimed`,
      async () => {
        const task = await getTask(chain.deployer, { taskId });
        if (task.status !== 'finalized') return undefined;
        const states = await Promise.all(
          nodes.map((n) => participantState(chain.deployer, { taskId, account: n.address })),
        );
        return states.every((s) => s.claimed && s.payout > 0n) ? true : undefined;
      },
      90_000,
    );
  }
  const failed = proxies.reduce((n, p) => n + p.counts.failed, 0);
  assert.ok(failed >= 10, `failures injected: ${failed}`);
  const lines = logs.flat();
  assert.ok(!lines.some((l) => /CHAIN_REVERT: unknown/.test(l)), allLogs());
  assert.ok(!lines.some((l) => l.includes('\n')), 'every log line is one line');
  const benign = lines.filter((l) => l.includes('(benign)'));
  t.diagnostic(`${failed} requests failed; benign race lines: ${benign.join(' | ') || 'none'}`);
  for (const taskId of ids) {
    const lost = lines.filter((l) => l.startsWith(`task ${taskId}: finalize: TaskAlreadyFinalized`));
    assert.ok(lost.length <= COUNT - 1, `a lost finalize race is logged at most once per node: ${lost}`);
  }
});

it('during a chain stall /health answers within 2 s with 503 naming the chain, and 200 after', async () => {
  const node = nodes[1]!;
  proxies[1]!.setFailRate(0);
  proxies[1]!.stall();
  try {
    const started = Date.now();
    const res = await fetch(`${node.apiUrl}/health`);
    const elapsed = Date.now() - started;
    const body = (await res.json()) as { error: { code: string; checks: { chain: { status: string } } } };
    assert.ok(elapsed < 2000, `answered in ${elapsed} ms`);
    assert.equal(res.status, 503);
    assert.equal(body.error.code, 'CHAIN_UNREACHABLE');
    assert.equal(body.error.checks.chain.status, 'down');
  } finally {
    proxies[1]!.resume();
  }
  const res = await fetch(`${node.apiUrl}/health`);
  const body = (await res.json()) as { checks: { chain: { status: string }; peers: { connected: number } } };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.checks.chain.status, 'ok');
  assert.ok(body.checks.peers.connected >= 1);
});

it('a chain lost for seconds is logged once when lost and once when back, with the count and the time down', async () => {
  const i = 2;
  proxies[i]!.setFailRate(0);
  await new Promise((r) => setTimeout(r, 1500)); // a few good rounds: any earlier outage is over
  const mark = logs[i]!.length;
  proxies[i]!.setFailRate(1);
  await new Promise((r) => setTimeout(r, 4000));
  proxies[i]!.setFailRate(0);
  const back = await waitFor(
    'the chain back in the log',
    async () => logs[i]!.slice(mark).find((l) => l.startsWith('chain reachable again')),
    20_000,
  );
  const lines = logs[i]!.slice(mark);
  const lost = lines.filter((l) => l.startsWith('chain unreachable: '));
  assert.equal(lost.length, 1, lines.join('\n'));
  assert.ok(!lost[0]!.includes('\n'), 'one line');
  const [, seconds, attempts] = /after (\d+) s \((\d+) failed attempts?\)$/.exec(back) ?? [];
  // The transport retries each call with back-off first, so a round fails only every second or two.
  assert.ok(Number(seconds) >= 1 && Number(attempts) >= 1, back);
  assert.equal(lines.filter((l) => l.includes('RPC_UNAVAILABLE')).length, 0, lines.join('\n'));
});

/**
 * Node benchmark: latency of one task from creation to finalized and claimed
 * by every member, driven by three real nodes (in this process: libp2p on
 * loopback, spec and inputs fetched from the creator, matvec run, commit,
 * reveal, finalize, claim by the workers), beside the baseline of the same
 * lifecycle sent as bare transactions by the same accounts on the same chain
 * (no fetching, no computing, no polling). The ratio is the node's overhead.
 * Run: node bin/run.mjs bench/node.ts [tasks=5] [pollMs=50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther } from 'viem';
import { participantState as readParticipantState } from '../src/chain/actions/participantState.ts';
import { startDevChain } from '../src/chain/devChain.ts';
import { runTasksOneByOne } from '../src/chain/taskFlows.ts';
import { taskKindId } from '../src/chain/taskTypes.ts';
import { encodeTensor } from '../src/core/codec.ts';
import { createTaskFromSpec } from '../src/node/createTaskFromSpec.ts';
import type { RunningNode } from '../src/node/daemon.ts';
import { startLocalNodes } from '../src/node/localNodes.ts';
import { createTaskKindRegistry } from '../src/tasks/builtin.ts';
import { KERNEL_VERSION } from '../src/tensor/index.ts';

const [tasks = 5, pollMs = 50] = process.argv.slice(2).map(Number);
const NODES = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const dir = mkdtempSync(join(tmpdir(), 'concord-bench-node-'));
const dev = await startDevChain({ actors: NODES });
const nodes: RunningNode[] = await startLocalNodes({
  chain: dev,
  dir,
  count: NODES,
  config: () => ({ pollIntervalMs: pollMs }),
});

const creator = nodes[0]!;
const rows = 64;
const cols = 256;
const matrix = creator.store.blobs.putBlob(
  encodeTensor({
    dtype: 'f32',
    shape: [rows, cols],
    data: new Float32Array(rows * cols).map((_, i) => (i % 97) / 97),
  }),
);
const kinds = createTaskKindRegistry();
const ours: number[] = [];
for (let t = 0; t < tasks; t++) {
  const vector = creator.store.blobs.putBlob(
    encodeTensor({
      dtype: 'f32',
      shape: [cols],
      data: new Float32Array(cols).map((_, i) => ((i + t) % 13) / 13),
    }),
  );
  const start = performance.now();
  const { taskId } = await createTaskFromSpec(
    creator.ctx,
    { blobs: creator.store.blobs, kinds },
    {
      spec: { kind: 'matvec', kernel: KERNEL_VERSION, matrix, vector },
      baseReward: parseEther('10'),
      growthBps: 0,
      maxParticipants: NODES,
      quorum: 2,
      committeeSize: NODES,
      bond: parseEther('1'),
      stakeSlash: 0n,
      commitSeconds: 600,
      revealSeconds: 600,
      pool: `0x${'0'.repeat(64)}`,
    },
  );
  for (;;) {
    const states = await Promise.all(
      nodes.map((n) => readParticipantState(dev.deployer, { taskId, account: n.address })),
    );
    if (states.every((s) => s.claimed)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  ours.push(performance.now() - start);
}
for (const node of nodes) await node.stop();

const now = (await dev.deployer.publicClient.getBlock()).timestamp;
const baseline: number[] = [];
for (let t = 0; t < tasks; t++) {
  const start = performance.now();
  await runTasksOneByOne(
    { creator: dev.deployer, participants: dev.actors },
    {
      kind: taskKindId('matvec'),
      specDigest: taskKindId(`bench spec ${t}`),
      baseReward: parseEther('10'),
      bond: parseEther('1'),
      maxParticipants: NODES,
      quorum: 2,
      committeeSize: NODES,
      commitDeadline: now + 3600n,
      revealDeadline: now + 7200n,
    },
    1,
  );
  baseline.push(performance.now() - start);
}
await dev.stop();
rmSync(dir, { recursive: true, force: true });

const o = median(ours);
const b = median(baseline);
console.log(`task lifecycle, ${NODES} members, median of ${tasks} tasks (worker round ${pollMs} ms)`);
console.log(`nodes (fetch + matvec ${rows}x${cols} + txs)   ${o.toFixed(0).padStart(7)} ms per task`);
console.log(`bare transactions (same steps)          ${b.toFixed(0).padStart(7)} ms per task`);
console.log(`ratio nodes / bare transactions: ${(o / b).toFixed(2)}`);
process.exit(0);

/**
 * Tasks finalized per second on a local anvil (automine), end to end with 3
 * participants each: create, 3 commits, 3 reveals, finalize, claims. Ours is
 * the batched path (createTasks / commitMany / revealMany / finalizeMany /
 * claimMany, participants' transactions sent concurrently); the baseline is
 * one awaited transaction per step. Both run in this process on one chain.
 * Run: node bin/run.mjs bench/tasks.ts [sequentialTasks=20] [batchSize=50] [batches=4]
 */
import { parseEther, type TransactionReceipt } from 'viem';
import { startDevChain } from '../src/chain/devChain.ts';
import {
  gasPerTaskOf,
  runTasksBatched,
  runTasksOneByOne,
  TASK_STEPS,
  type TaskFlowResult,
} from '../src/chain/taskFlows.ts';
import { benchTaskParams } from './support/benchTaskParams.ts';

const TARGET_BATCHED_PER_SECOND = 50;
const [sequentialTasks = 20, batchSize = 50, batches = 4] = process.argv.slice(2).map(Number);

const dev = await startDevChain({ actors: 3, registerStake: parseEther('1000') });
const parties = { creator: dev.deployer, participants: dev.actors };

const params = () => benchTaskParams(dev.deployer.publicClient, 'bench spec');

const gasOf = (runs: TaskFlowResult[]) =>
  runs.reduce(
    (s, r) =>
      s +
      TASK_STEPS.reduce(
        (t, step) => t + r.receipts[step].reduce((u, x: TransactionReceipt) => u + x.gasUsed, 0n),
        0n,
      ),
    0n,
  );

try {
  // Warm-up: approvals and first-touch storage, JIT.
  await runTasksOneByOne(parties, await params(), 2);
  // Gas limits from a measured batch spare the node a gas estimate (a binary search) per batch.
  const gasPerTask = gasPerTaskOf(await runTasksBatched(parties, await params(), batchSize));

  let start = performance.now();
  const one = await runTasksOneByOne(parties, await params(), sequentialTasks);
  const oneSeconds = (performance.now() - start) / 1000;

  const runs: TaskFlowResult[] = [];
  start = performance.now();
  for (let b = 0; b < batches; b++)
    runs.push(await runTasksBatched(parties, await params(), batchSize, { gasPerTask }));
  const batchedSeconds = (performance.now() - start) / 1000;

  const oneRate = sequentialTasks / oneSeconds;
  const batchedRate = (batchSize * batches) / batchedSeconds;
  const line = (label: string, n: number, s: number, rate: number, gas: bigint) =>
    console.log(
      `${label.padEnd(34)} ${String(n).padStart(4)} tasks in ${s.toFixed(2).padStart(6)} s  ` +
        `${rate.toFixed(1).padStart(7)} tasks/s  ${(gas / BigInt(n)).toString().padStart(8)} gas/task`,
    );
  line('one tx per step (baseline)', sequentialTasks, oneSeconds, oneRate, gasOf([one]));
  line(`batched ×${batchSize} (ours)`, batchSize * batches, batchedSeconds, batchedRate, gasOf(runs));
  console.log(`ratio batched / one-by-one: ${(batchedRate / oneRate).toFixed(1)}x`);
  console.log(
    `target: >= ${TARGET_BATCHED_PER_SECOND} tasks/s batched: ${batchedRate >= TARGET_BATCHED_PER_SECOND ? 'met' : 'NOT met'}`,
  );
} finally {
  await dev.stop();
}

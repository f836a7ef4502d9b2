/**
 * Gas per TaskMarket operation with 3 participants who agree, one
 * transaction per step and batched (per task, for several batch sizes).
 * Prints the Markdown table pasted into docs/gas.md.
 * Run: node bin/run.mjs bench/gas.ts
 */
import { parseEther, type TransactionReceipt } from 'viem';
import { startDevChain } from '../src/chain/devChain.ts';
import { runTasksBatched, runTasksOneByOne, TASK_STEPS, type TaskStep } from '../src/chain/taskFlows.ts';
import { benchTaskParams } from './support/benchTaskParams.ts';

const BATCHES = [10, 50, 100];
const dev = await startDevChain({
  actors: 3,
  registerStake: parseEther('1000'),
  anvil: { gasLimit: 1_000_000_000n },
});
const parties = { creator: dev.deployer, participants: dev.actors };

const params = () => benchTaskParams(dev.deployer.publicClient, 'spec');

const sum = (rs: TransactionReceipt[]) => rs.reduce((s, r) => s + r.gasUsed, 0n);
try {
  // Warm up twice so first-touch storage (approvals, first task id, the first share units, the
  // first protocol fee and the winners' dividend records) does not skew the figures.
  await runTasksOneByOne(parties, await params(), 2);
  const single = await runTasksOneByOne(parties, await params(), 1);
  const rows: string[][] = [];
  const perTx = (step: TaskStep) => sum(single.receipts[step]) / BigInt(single.receipts[step].length);
  const header = [
    'operation',
    'one tx per step (gas per tx)',
    ...BATCHES.map((b) => `batched ×${b} (gas per task)`),
  ];
  const batched = [];
  for (const b of BATCHES) batched.push(await runTasksBatched(parties, await params(), b));
  const labels: Record<TaskStep, string> = {
    create: 'create (createTask / createTasks)',
    commit: 'commit, per participant (commit / commitMany)',
    reveal: 'reveal, per participant (reveal / revealMany)',
    finalize: 'finalize, 3 revealers (finalize / finalizeMany)',
    claim: 'claim, per claimant (claim / claimMany)',
  };
  for (const step of TASK_STEPS) {
    const txs = single.receipts[step].length;
    rows.push([
      labels[step],
      perTx(step).toString(),
      ...batched.map((r, i) => (sum(r.receipts[step]) / BigInt(txs) / BigInt(BATCHES[i]!)).toString()),
    ]);
  }
  const total = (r: { receipts: Record<TaskStep, TransactionReceipt[]> }, n: number) =>
    (TASK_STEPS.reduce((s, step) => s + sum(r.receipts[step]), 0n) / BigInt(n)).toString();
  rows.push([
    '**whole task** (1 create, 3 commits, 3 reveals, finalize, 4 claims)',
    total(single, 1),
    ...batched.map((r, i) => total(r, BATCHES[i]!)),
  ]);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  await dev.stop();
}

import { type Hex, keccak256, type TransactionReceipt, toHex } from 'viem';
import { randomSalt } from '../core/salt.ts';
import { claim } from './actions/claim.ts';
import { claimMany } from './actions/claimMany.ts';
import { commit } from './actions/commit.ts';
import { commitMany } from './actions/commitMany.ts';
import { createTask } from './actions/createTask.ts';
import { createTasks } from './actions/createTasks.ts';
import { finalize } from './actions/finalize.ts';
import { finalizeMany } from './actions/finalizeMany.ts';
import { payoutOf } from './actions/payoutOf.ts';
import { reveal } from './actions/reveal.ts';
import { revealMany } from './actions/revealMany.ts';
import type { ConcordContext } from './context.ts';
import type { TaskParams } from './taskTypes.ts';

/** The steps of a task's on-chain life, in order. */
export const TASK_STEPS = ['create', 'commit', 'reveal', 'finalize', 'claim'] as const;
/** One of {@link TASK_STEPS}. */
export type TaskStep = (typeof TASK_STEPS)[number];

/** The receipts of a run of tasks, by step, and the ids settled. */
export type TaskFlowResult = { taskIds: bigint[]; receipts: Record<TaskStep, TransactionReceipt[]> };

/** Who takes part: the creator, and the committee (all of whom agree on the result). */
export type TaskFlowParties = { creator: ConcordContext; participants: readonly ConcordContext[] };

const RESULT: Hex = keccak256(toHex('agreed result'));

/** The participants, and the creator if every task refunds it something (claim reverts on nothing). */
async function claimants(parties: TaskFlowParties, taskIds: readonly bigint[]): Promise<ConcordContext[]> {
  const refunds = await Promise.all(taskIds.map((taskId) => payoutOf(parties.creator, { taskId })));
  return refunds.every((r) => r > 0n)
    ? [...parties.participants, parties.creator]
    : [...parties.participants];
}

function emptyReceipts(): Record<TaskStep, TransactionReceipt[]> {
  return { create: [], commit: [], reveal: [], finalize: [], claim: [] };
}

/**
 * Runs `count` tasks through their whole life one transaction per step, each
 * awaited: create, every participant commits, every participant reveals,
 * finalize, every participant (and the creator, if refunded) claims. The committee must be
 * exactly the participants (committeeSize = number of registered nodes).
 */
export async function runTasksOneByOne(
  parties: TaskFlowParties,
  params: TaskParams,
  count: number,
): Promise<TaskFlowResult> {
  const receipts = emptyReceipts();
  const taskIds: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const { taskId, receipt } = await createTask(parties.creator, params);
    receipts.create.push(receipt);
    const salts = parties.participants.map(() => randomSalt());
    for (const [j, p] of parties.participants.entries()) {
      receipts.commit.push(
        await commit(p, { taskId, resultDigest: RESULT, salt: salts[j]!, bond: params.bond ?? 0n }),
      );
    }
    for (const [j, p] of parties.participants.entries()) {
      receipts.reveal.push(await reveal(p, { taskId, resultDigest: RESULT, salt: salts[j]! }));
    }
    receipts.finalize.push((await finalize(parties.creator, { taskId })).receipt);
    for (const p of await claimants(parties, [taskId]))
      receipts.claim.push((await claim(p, { taskId })).receipt);
    taskIds.push(taskId);
  }
  return { taskIds, receipts };
}

/** Options of {@link runTasksBatched}. */
export type RunTasksBatchedOptions = {
  /**
   * Gas limit per task of each step's transaction (one party's share). When
   * set, the batch's limit is `count * gasPerTask + BATCH_BASE_GAS` and the
   * node's estimate (a binary search that executes the whole batch several
   * times) is skipped. Use {@link gasPerTaskOf} on an earlier run.
   */
  gasPerTask?: Record<TaskStep, bigint>;
};

/** Fixed gas of a batched transaction on top of its per-task gas. */
export const BATCH_BASE_GAS = 100_000n;

/**
 * The most gas one party's transaction used per task at each step of `run`,
 * plus `headroomPercent`: gas limits for later batches of the same kind.
 */
export function gasPerTaskOf(run: TaskFlowResult, headroomPercent = 30n): Record<TaskStep, bigint> {
  const n = BigInt(run.taskIds.length);
  const per = (step: TaskStep) => {
    let most = 0n;
    for (const r of run.receipts[step]) if (r.gasUsed > most) most = r.gasUsed;
    return ((most / n) * (100n + headroomPercent)) / 100n;
  };
  return {
    create: per('create'),
    commit: per('commit'),
    reveal: per('reveal'),
    finalize: per('finalize'),
    claim: per('claim'),
  };
}

/**
 * Runs `count` tasks through their whole life with one batched transaction per
 * step and party (createTasks, commitMany, revealMany, finalizeMany,
 * claimMany); the participants' transactions of a step are sent concurrently.
 */
export async function runTasksBatched(
  parties: TaskFlowParties,
  params: TaskParams,
  count: number,
  options: RunTasksBatchedOptions = {},
): Promise<TaskFlowResult> {
  const gas = (step: TaskStep) =>
    options.gasPerTask ? { gas: options.gasPerTask[step] * BigInt(count) + BATCH_BASE_GAS } : {};
  const receipts = emptyReceipts();
  const created = await createTasks(parties.creator, {
    tasks: Array.from({ length: count }, () => params),
    ...gas('create'),
  });
  receipts.create.push(created.receipt);
  const { taskIds } = created;
  const totalBond = (params.bond ?? 0n) * BigInt(count);
  const secrets = parties.participants.map(() =>
    taskIds.map((taskId) => ({ taskId, resultDigest: RESULT, salt: randomSalt() })),
  );
  receipts.commit.push(
    ...(await Promise.all(
      parties.participants.map((p, j) =>
        commitMany(p, { commits: secrets[j]!, totalBond, ...gas('commit') }),
      ),
    )),
  );
  receipts.reveal.push(
    ...(await Promise.all(
      parties.participants.map((p, j) => revealMany(p, { reveals: secrets[j]!, ...gas('reveal') })),
    )),
  );
  receipts.finalize.push((await finalizeMany(parties.creator, { taskIds, ...gas('finalize') })).receipt);
  const claims = await Promise.all(
    (await claimants(parties, taskIds)).map((p) => claimMany(p, { taskIds, ...gas('claim') })),
  );
  receipts.claim.push(...claims.map((c) => c.receipt));
  return { taskIds, receipts };
}

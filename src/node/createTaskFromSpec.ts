import type { Hex } from 'viem';
import { createTask } from '../chain/actions/createTask.ts';
import { type MarketLimitsReturnType, marketLimits } from '../chain/actions/marketLimits.ts';
import type { ConcordContext } from '../chain/context.ts';
import { inputsRootOf } from '../chain/taskTypes.ts';
import type { BlobStore } from '../store/blobStore.ts';
import type { TaskKindRegistry } from '../tasks/registry.ts';
import { encodeTaskSpec } from '../tasks/spec.ts';
import type { CreateTaskRequest, CreateTaskResult } from './api/types.ts';
import { chainNow } from './chainTime.ts';
import { TaskInputsMissingError, TaskTermsOutOfBoundsError } from './errors.ts';

/**
 * Creates a task from a spec: validates the spec with its kind, checks that
 * this node holds every input blob (it serves them to the committee), lets
 * the kind check the inputs' contents (`TaskKind.checkInputs`, e.g. a wasm
 * module is validated, so a malformed one is refused before anything goes on
 * chain), checks the terms against TaskMarket's protocol bounds
 * (TaskTermsOutOfBoundsError, before any transaction), stores the canonical
 * spec blob and creates the task on chain with deadlines counted from now
 * (and, for a kind that combines a pool's winners, the `inputsRoot`
 * committing to them).
 */
export async function createTaskFromSpec(
  ctx: ConcordContext,
  deps: { blobs: BlobStore; kinds: TaskKindRegistry },
  request: CreateTaskRequest,
): Promise<CreateTaskResult> {
  const encoded = encodeTaskSpec(deps.kinds, request.spec);
  const kind = deps.kinds.get(String(request.spec.kind));
  const spec = kind.parseSpec(request.spec);
  const missing = kind.inputs(spec).filter((digest) => !deps.blobs.hasBlob(digest));
  if (missing.length > 0) {
    throw new TaskInputsMissingError(
      `This node does not hold the task's input blob(s) ${missing.join(', ')}.`,
      {
        hint: 'Upload them first with PUT /v1/blobs; the node serves them to the committee.',
      },
    );
  }
  await kind.checkInputs?.(spec, async (digest) => deps.blobs.getBlob(digest));
  const limits = await marketLimits(ctx);
  const outOfBounds = termsOutOfBounds(request, limits);
  if (outOfBounds !== undefined) {
    throw new TaskTermsOutOfBoundsError(`The task's ${outOfBounds}.`, {
      hint: "TaskMarket's bounds are fixed at deployment (docs/ledger.md); choose terms within them.",
    });
  }
  deps.blobs.putBlob(encoded.bytes);
  const now = BigInt(await chainNow(ctx));
  const commitDeadline = now + commitWindow(request, limits);
  const created = await createTask(ctx, {
    kind: kind.kindId,
    specDigest: encoded.digest,
    pool: request.pool,
    ...(kind.poolInputs ? { inputsRoot: inputsRootOf(kind.poolInputs(spec)) } : {}),
    baseReward: request.baseReward,
    bond: request.bond,
    stakeSlash: request.stakeSlash,
    growthBps: request.growthBps,
    maxParticipants: request.maxParticipants,
    quorum: request.quorum,
    committeeSize: request.committeeSize,
    commitDeadline,
    revealDeadline: commitDeadline + BigInt(request.revealSeconds),
  });
  return { taskId: created.taskId, specDigest: encoded.digest, txHash: created.receipt.transactionHash };
}

/**
 * Before a task that combines a pool's winners (an `aggregate`) is created
 * here, fetches the winners this node lacks with `fetchPoolWinners` (the
 * committees that computed them hold them; a node the pool's owner allows to
 * add tasks may fetch them). Does nothing for other tasks or when every input
 * is here; a malformed spec is left to {@link createTaskFromSpec} to name.
 */
export async function gatherPoolInputs(
  deps: { blobs: BlobStore; kinds: TaskKindRegistry; fetchPoolWinners: (pool: Hex) => Promise<unknown> },
  request: CreateTaskRequest,
): Promise<void> {
  if (request.pool === undefined || BigInt(request.pool) === 0n) return;
  let lacking: Hex[];
  try {
    const kind = deps.kinds.get(String(request.spec.kind));
    if (!kind.poolInputs) return;
    lacking = kind.inputs(kind.parseSpec(request.spec)).filter((digest) => !deps.blobs.hasBlob(digest));
  } catch {
    return;
  }
  if (lacking.length > 0) await deps.fetchPoolWinners(request.pool as Hex);
}

/**
 * Seconds a commit window keeps above the chain's minimum for the creation
 * transaction to be mined: TaskMarket measures the window from the block the
 * task lands in, later than the chain time the node reads before sending, so
 * a window at the minimum would otherwise revert.
 */
export const CREATION_ALLOWANCE_SECONDS = 15n;

/** The commit window the node sets: the request's, but at least the chain's minimum plus the creation allowance. */
function commitWindow(request: CreateTaskRequest, limits: MarketLimitsReturnType): bigint {
  const asked = BigInt(request.commitSeconds);
  const floor = limits.minCommitWindow + CREATION_ALLOWANCE_SECONDS;
  return asked > floor ? asked : floor;
}

/** Which of the request's terms breaks TaskMarket's `limits`, or undefined when none does. */
function termsOutOfBounds(request: CreateTaskRequest, limits: MarketLimitsReturnType): string | undefined {
  const base = BigInt(request.baseReward);
  if (BigInt(request.commitSeconds) < limits.minCommitWindow) {
    return `commit window of ${request.commitSeconds} s is below the minimum ${limits.minCommitWindow} s`;
  }
  if (BigInt(request.revealSeconds) < limits.minRevealWindow) {
    return `reveal window of ${request.revealSeconds} s is below the minimum ${limits.minRevealWindow} s`;
  }
  const duration = commitWindow(request, limits) + BigInt(request.revealSeconds);
  if (duration > limits.maxDuration) {
    return `duration of ${duration} s is above the maximum ${limits.maxDuration} s`;
  }
  if (BigInt(request.bond) > base * BigInt(limits.maxBondMultiple)) {
    return `bond ${request.bond} is above ${limits.maxBondMultiple}x the base reward`;
  }
  if (BigInt(request.stakeSlash) > base * BigInt(limits.maxSlashMultiple)) {
    return `stakeSlash ${request.stakeSlash} is above ${limits.maxSlashMultiple}x the base reward`;
  }
  return undefined;
}

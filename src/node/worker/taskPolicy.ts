import { parseEther } from 'viem';

/**
 * The terms on which a node takes a task: outside them it neither computes
 * nor commits (a creator chooses bond, stake slash and deadlines; the
 * contract bounds them, the node may be stricter). `concord node start`
 * sets them with `--max-bond`, `--max-slash-multiple`, `--min-commit-seconds`,
 * `--min-reveal-seconds` and `--max-lock-seconds`.
 */
export type TaskPolicy = {
  /** Largest bond (token wei) the node posts for one task. */
  maxBond: bigint;
  /** Largest `stakeSlash` as a multiple of the task's base reward. */
  maxSlashMultiple: bigint;
  /** Least seconds left before the commit deadline when the node would start computing. */
  minCommitSeconds: number;
  /** Least seconds between the commit and reveal deadlines (the time the node has to reveal). */
  minRevealSeconds: number;
  /**
   * Most seconds from now to the reveal deadline: committing locks `stakeSlash`
   * until the task settles, and a task whose other members never commit keeps
   * reveals closed until the commit deadline, so a far deadline would let a
   * creator tie up the node's stake for free.
   */
  maxLockSeconds: number;
};

/** The default {@link TaskPolicy}: bond up to 100 CCD, stake slash up to 10x the base reward, 10 s to commit, 60 s to reveal, stake locked at most 2 hours. */
export const DEFAULT_TASK_POLICY: TaskPolicy = {
  maxBond: parseEther('100'),
  maxSlashMultiple: 10n,
  minCommitSeconds: 10,
  minRevealSeconds: 60,
  maxLockSeconds: 7200,
};

/**
 * What a task asks of a committee member (times in unix seconds; `unlockedStake`:
 * the member's stake not locked by other tasks; `committeeLength`: the drawn
 * committee, which can be smaller than `quorum` when few nodes were active).
 */
export type TaskTerms = {
  baseReward: bigint;
  bond: bigint;
  stakeSlash: bigint;
  quorum: number;
  committeeLength: number;
  commitDeadline: number;
  revealDeadline: number;
  unlockedStake: bigint;
};

/** Why the node refuses a task at time `now` under `policy`, or undefined if it takes it. */
export function refusalOf(terms: TaskTerms, policy: TaskPolicy, now: number): string | undefined {
  if (terms.bond > policy.maxBond) return `bond ${terms.bond} above --max-bond ${policy.maxBond}`;
  if (terms.stakeSlash > terms.baseReward * policy.maxSlashMultiple) {
    return `stakeSlash ${terms.stakeSlash} above ${policy.maxSlashMultiple}x the base reward`;
  }
  if (terms.revealDeadline - terms.commitDeadline < policy.minRevealSeconds) {
    return `reveal window below ${policy.minRevealSeconds} s`;
  }
  if (terms.commitDeadline - now < policy.minCommitSeconds) {
    return `less than ${policy.minCommitSeconds} s to commit`;
  }
  if (terms.revealDeadline - now > policy.maxLockSeconds) {
    return `reveal deadline more than --max-lock-seconds ${policy.maxLockSeconds} away`;
  }
  if (terms.unlockedStake < terms.stakeSlash) return `unlocked stake ${terms.unlockedStake} below stakeSlash`;
  if (terms.committeeLength < terms.quorum) {
    return `committee of ${terms.committeeLength} below quorum ${terms.quorum}: the task cannot succeed`;
  }
  return undefined;
}

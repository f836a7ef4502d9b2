import { parseEther } from 'viem';

/**
 * The terms on which a node takes a task: outside them it neither computes
 * nor commits (a creator chooses bond, stake slash and deadlines; the
 * contract bounds them, the node may be stricter). `concord node start`
 * sets them with `--max-bond`, `--max-slash-multiple`, `--min-commit-seconds`
 * and `--min-reveal-seconds`.
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
};

/** The default {@link TaskPolicy}: bond up to 100 CCD, stake slash up to 10x the base reward, 10 s to commit, 60 s to reveal. */
export const DEFAULT_TASK_POLICY: TaskPolicy = {
  maxBond: parseEther('100'),
  maxSlashMultiple: 10n,
  minCommitSeconds: 10,
  minRevealSeconds: 60,
};

/** What a task asks of a committee member (times in unix seconds; `unlockedStake`: the member's stake not locked by other tasks). */
export type TaskTerms = {
  baseReward: bigint;
  bond: bigint;
  stakeSlash: bigint;
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
  if (terms.commitDeadline - now < policy.minCommitSeconds)
    return `less than ${policy.minCommitSeconds} s to commit`;
  if (terms.unlockedStake < terms.stakeSlash) return `unlocked stake ${terms.unlockedStake} below stakeSlash`;
  return undefined;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, isSettled, progressUnits, type TaskProgress } from './taskProgress.ts';

const base: TaskProgress = {
  taskId: '7',
  state: 'committing',
  committee: 3,
  committed: 1,
  revealed: 0,
  finalized: false,
  claimed: 0,
  winners: 0,
};

describe('task progress', () => {
  it('prints one line with the count of every stage', () => {
    assert.equal(
      formatProgress(base),
      'task 7: created ✓ → committed 1/3 → revealed 0/3 → finalized … → claimed …',
    );
    assert.equal(
      formatProgress({
        ...base,
        state: 'finalized',
        committed: 3,
        revealed: 3,
        finalized: true,
        winners: 3,
        claimed: 2,
      }),
      'task 7: created ✓ → committed 3/3 → revealed 3/3 → finalized ✓ → claimed 2/3',
    );
    assert.match(formatProgress({ ...base, committee: 0, committed: 0 }), /committed 0\/\?/);
    assert.match(formatProgress({ ...base, state: 'failed' }), /failed ✗/);
  });

  it('is settled only when failed, or finalized with every winner claimed', () => {
    assert.equal(isSettled(base), false);
    assert.equal(isSettled({ ...base, state: 'failed' }), true);
    const finalized = { ...base, state: 'finalized', finalized: true, winners: 3 };
    assert.equal(isSettled({ ...finalized, claimed: 2 }), false);
    assert.equal(isSettled({ ...finalized, claimed: 3 }), true);
  });
});

describe('progressUnits', () => {
  it('counts commits, reveals, the finalization and the claims, and fills up when settled', () => {
    assert.deepEqual(progressUnits(base), { done: 1, total: 10 });
    const done = {
      ...base,
      state: 'finalized',
      committed: 3,
      revealed: 3,
      finalized: true,
      winners: 2,
      claimed: 2,
    };
    assert.deepEqual(progressUnits(done), { done: 9, total: 9 });
    const failed = progressUnits({ ...base, state: 'failed' });
    assert.equal(failed.done, failed.total);
  });
});

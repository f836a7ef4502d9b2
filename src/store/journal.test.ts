import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { TASK_TRANSITIONS, type TaskState } from './journal.ts';
import { openStore } from './openStore.ts';
import { tempDir } from './testing.ts';

const { dir, cleanup } = tempDir('journal');
after(cleanup);
let clock = 1_000;
const store = openStore(dir, { now: () => clock++ });
after(() => store.close());
const journal = store.journal;

const hex32 = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
let nextId = 1n;
const fresh = () => {
  const taskId = nextId++;
  journal.recordComputed({ taskId, resultDigest: hex32(1), salt: hex32(2) });
  return taskId;
};
const STATES = Object.keys(TASK_TRANSITIONS) as TaskState[];

test('a task walks computed → committed → revealed → finalized → claimed', () => {
  const id = fresh();
  assert.equal(journal.get(id)?.state, 'computed');
  assert.equal(journal.get(id)?.salt, hex32(2));
  journal.advance(id, 'committed', { txHash: hex32(10) });
  journal.advance(id, 'revealed', { txHash: hex32(11) });
  journal.advance(id, 'finalized');
  const rec = journal.advance(id, 'claimed', { txHash: hex32(12) });
  assert.deepEqual(
    [rec.state, rec.commitTx, rec.revealTx, rec.claimTx],
    ['claimed', hex32(10), hex32(11), hex32(12)],
  );
  assert.ok(rec.updatedAt > rec.createdAt);
  assert.deepEqual(
    journal.history(id).map((h) => h.state),
    ['computed', 'committed', 'revealed', 'finalized', 'claimed'],
  );
  assert.equal(journal.history(id)[1]?.txHash, hex32(10));
});

test('every non-final state can fail, with a reason', () => {
  for (const path of [[], ['committed'], ['committed', 'revealed'], ['committed', 'revealed', 'finalized']]) {
    const id = fresh();
    for (const s of path) journal.advance(id, s as TaskState, { txHash: hex32(3) });
    const rec = journal.advance(id, 'failed', { failure: 'no majority' });
    assert.equal(rec.state, 'failed');
    assert.equal(rec.failure, 'no majority');
  }
});

test('every transition outside the table is refused with TaskTransitionError', () => {
  const reach: Record<TaskState, TaskState[]> = {
    computed: [],
    committed: ['committed'],
    revealed: ['committed', 'revealed'],
    finalized: ['committed', 'revealed', 'finalized'],
    claimed: ['committed', 'revealed', 'finalized', 'claimed'],
    failed: ['failed'],
  };
  for (const from of STATES) {
    for (const to of STATES) {
      if (TASK_TRANSITIONS[from].includes(to)) continue;
      const id = fresh();
      for (const s of reach[from]) journal.advance(id, s, { txHash: hex32(4) });
      assert.equal(journal.get(id)?.state, from);
      assert.throws(
        () => journal.advance(id, to, { txHash: hex32(5) }),
        { name: 'TaskTransitionError' },
        `${from} → ${to}`,
      );
      assert.equal(journal.get(id)?.state, from, 'state unchanged after a refused move');
    }
  }
});

test('commit, reveal and claim need the transaction hash; failure reason only for failed', () => {
  const id = fresh();
  assert.throws(() => journal.advance(id, 'committed'), { name: 'TaskTransitionError' });
  assert.throws(() => journal.advance(id, 'committed', { txHash: hex32(1), failure: 'x' }), {
    name: 'TaskTransitionError',
  });
  assert.equal(journal.get(id)?.state, 'computed');
});

test('recordComputed is idempotent for the same values and refuses different ones', () => {
  const id = fresh();
  const again = journal.recordComputed({ taskId: id, resultDigest: hex32(1), salt: hex32(2) });
  assert.equal(again.state, 'computed');
  assert.throws(() => journal.recordComputed({ taskId: id, resultDigest: hex32(1), salt: hex32(9) }), {
    name: 'JournalConflictError',
  });
  assert.equal(journal.get(id)?.salt, hex32(2));
});

test('malformed ids, digests, salts and hashes are refused; unknown tasks are named', () => {
  assert.throws(() => journal.recordComputed({ taskId: -1n, resultDigest: hex32(1), salt: hex32(2) }), {
    name: 'JournalValueError',
  });
  assert.throws(
    () => journal.recordComputed({ taskId: 1n << 256n, resultDigest: hex32(1), salt: hex32(2) }),
    {
      name: 'JournalValueError',
    },
  );
  assert.throws(() => journal.recordComputed({ taskId: 5000n, resultDigest: '0x12', salt: hex32(2) }), {
    name: 'JournalValueError',
  });
  assert.throws(
    () => journal.recordComputed({ taskId: 5000n, resultDigest: hex32(1), salt: 'salt' as Hex }),
    {
      name: 'JournalValueError',
    },
  );
  assert.throws(() => journal.advance(fresh(), 'committed', { txHash: '0xzz' }), {
    name: 'JournalValueError',
  });
  assert.throws(() => journal.advance(999_999n, 'committed', { txHash: hex32(1) }), {
    name: 'JournalTaskNotFoundError',
  });
  assert.equal(journal.get(999_999n), undefined);
});

test('uint256 task ids and mixed-case hex round-trip exactly', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 10n ** 9n, max: (1n << 256n) - 1n }), (taskId) => {
      if (journal.get(taskId)) return;
      const salt = `0x${'AB'.repeat(32)}` as Hex;
      const rec = journal.recordComputed({ taskId, resultDigest: hex32(7), salt });
      assert.equal(rec.taskId, taskId);
      assert.equal(rec.salt, salt.toLowerCase());
    }),
    { numRuns: 50 },
  );
});

test('pendingTaskIds lists every followed task not finished, and survives reopening', () => {
  const { dir: d2, cleanup: c2 } = tempDir('journal-reopen');
  try {
    const s = openStore(d2);
    const j = s.journal;
    j.recordComputed({ taskId: 1n, resultDigest: hex32(1), salt: hex32(2) });
    j.recordComputed({ taskId: 2n, resultDigest: hex32(1), salt: hex32(3) });
    j.recordComputed({ taskId: 3n, resultDigest: hex32(1), salt: hex32(4) });
    j.advance(2n, 'committed', { txHash: hex32(5) });
    j.advance(3n, 'failed', { failure: 'deadline passed' });
    s.close();
    const reopened = openStore(d2);
    assert.deepEqual(reopened.journal.countByState(), {
      computed: 1,
      committed: 1,
      revealed: 0,
      finalized: 0,
      claimed: 0,
      failed: 1,
    });
    // A failed task is followed until the chain at the confirmed height says it is done (finish).
    assert.deepEqual(reopened.journal.pendingTaskIds(), [1n, 2n, 3n]);
    reopened.journal.follow(9n);
    reopened.journal.finish(3n, 'task failed');
    assert.deepEqual(reopened.journal.pendingTaskIds(), [1n, 2n, 9n]);
    reopened.close();
  } finally {
    c2();
  }
});

test('random move sequences follow the lifecycle spec exactly (model-based)', () => {
  const ORDER: TaskState[] = ['computed', 'committed', 'revealed', 'finalized', 'claimed'];
  const legal = (from: TaskState, to: TaskState) =>
    (to === 'failed' && from !== 'claimed' && from !== 'failed') ||
    (from !== 'failed' && ORDER.indexOf(to) === ORDER.indexOf(from) + 1);
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...STATES), { maxLength: 12 }), (moves) => {
      const id = fresh();
      let model: TaskState = 'computed';
      const taken: TaskState[] = [];
      for (const to of moves) {
        if (legal(model, to)) {
          journal.advance(id, to, { txHash: hex32(6) });
          model = to;
          taken.push(to);
        } else {
          assert.throws(() => journal.advance(id, to, { txHash: hex32(6) }), { name: 'TaskTransitionError' });
        }
        assert.equal(journal.get(id)?.state, model);
      }
      assert.deepEqual(
        journal.history(id).map((h) => h.state),
        ['computed', ...taken],
      );
    }),
    { numRuns: 100 },
  );
});

test('rewind moves a task back after a reorg, forgets the dropped transactions and keeps the reason', () => {
  const { dir: d3, cleanup: c3 } = tempDir('journal-rewind');
  try {
    const s = openStore(d3);
    const j = s.journal;
    j.recordComputed({ taskId: 1n, resultDigest: hex32(1), salt: hex32(2) });
    j.advance(1n, 'committed', { txHash: hex32(3) });
    j.advance(1n, 'revealed', { txHash: hex32(4) });
    j.advance(1n, 'finalized');
    j.advance(1n, 'claimed', { txHash: hex32(5) });
    assert.throws(() => j.rewind(1n, 'claimed', 'x'), { name: 'TaskTransitionError' });
    const back = j.rewind(1n, 'committed', 'reorg: reveal, finalize, claim dropped');
    assert.equal(back.state, 'committed');
    assert.equal(back.commitTx, hex32(3));
    assert.equal(back.revealTx, null);
    assert.equal(back.claimTx, null);
    assert.equal(j.history(1n).at(-1)?.reason, 'reorg: reveal, finalize, claim dropped');
    assert.throws(() => j.rewind(1n, 'revealed', 'x'), { name: 'TaskTransitionError' });
    s.close();
  } finally {
    c3();
  }
});

test('discard forgets a result computed for a spec the task id no longer names, keeping why', () => {
  const taskId = nextId++;
  journal.recordComputed({ taskId, resultDigest: hex32(1), salt: hex32(2), specDigest: hex32(3) });
  assert.equal(journal.get(taskId)?.specDigest, hex32(3));
  journal.advance(taskId, 'committed', { txHash: hex32(4) });
  journal.discard(taskId, 'reorg: task id now names another task');
  assert.equal(journal.get(taskId), undefined);
  assert.deepEqual(
    journal.history(taskId).map((t) => [t.state, t.reason]),
    [
      ['computed', null],
      ['committed', null],
      ['failed', 'reorg: task id now names another task'],
    ],
  );
  // The new task's result is recorded afresh (no conflict with the forgotten one).
  journal.recordComputed({ taskId, resultDigest: hex32(5), salt: hex32(6), specDigest: hex32(7) });
  assert.equal(journal.get(taskId)?.resultDigest, hex32(5));
  assert.throws(() => journal.discard(nextId++, 'x'), { name: 'JournalTaskNotFoundError' });
});

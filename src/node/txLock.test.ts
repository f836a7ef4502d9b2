import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTxLock } from './txLock.ts';

describe('createTxLock', () => {
  it('runs functions one at a time in call order, even when one fails', async () => {
    const lock = createTxLock();
    const events: string[] = [];
    const job = (name: string, fail = false) =>
      lock.run(async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionAdmission, DEFAULT_ADMISSION_LIMITS, type ReleaseSlot } from './completionAdmission.ts';

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('CompletionAdmission', () => {
  it('runs up to maxRunning at once, queues the next maxQueued, and refuses the rest with 429 and Retry-After', async () => {
    const admission = new CompletionAdmission({ maxRunning: 2, maxQueued: 2, maxWaitMs: 60_000 });
    const running = await Promise.all([admission.acquire(), admission.acquire()]);
    const waiting = [admission.acquire(), admission.acquire()];
    assert.equal(admission.running, 2);
    assert.equal(admission.queued, 2);
    await assert.rejects(admission.acquire(), (err: Error & Record<string, unknown>) => {
      assert.equal(err.name, 'QueueFullError');
      assert.equal(err.status, 429);
      assert.equal(err.code, 'QUEUE_FULL');
      assert.equal(err.retryAfterSeconds, 1);
      return true;
    });
    assert.equal(admission.queued, 2, 'a refused request takes no place');
    for (const release of running) release();
    const admitted = await Promise.all(waiting);
    assert.equal(admission.running, 2);
    assert.equal(admission.queued, 0);
    for (const release of admitted) release();
    assert.equal(admission.running, 0);
  });

  it('admits waiting requests first come, first served, one per freed slot', async () => {
    const admission = new CompletionAdmission({ maxRunning: 1, maxQueued: 10 });
    const first = await admission.acquire();
    const order: number[] = [];
    const waiting = [0, 1, 2, 3].map((i) =>
      admission.acquire().then((release) => {
        order.push(i);
        return release;
      }),
    );
    assert.equal(await settled(waiting[0]!), false);
    first();
    let release = await waiting[0]!;
    for (const next of waiting.slice(1)) {
      assert.equal(await settled(next), false, 'one slot, one running');
      release();
      release = await next;
    }
    assert.deepEqual(order, [0, 1, 2, 3]);
    // A freed slot goes to the first in line at once: a request arriving then waits behind it.
    const inLine = admission.acquire();
    release();
    const newcomer = admission.acquire();
    assert.equal(await settled(inLine), true);
    assert.equal(await settled(newcomer), false);
    (await inLine)();
    (await newcomer)();
    assert.equal(admission.running, 0);
  });

  it('a release counts once', async () => {
    const admission = new CompletionAdmission({ maxRunning: 1, maxQueued: 1 });
    const release = await admission.acquire();
    const next = admission.acquire();
    release();
    release();
    const second = await next;
    assert.equal(admission.running, 1);
    second();
    assert.equal(admission.running, 0);
  });

  it('refuses with 503 NO_CAPACITY a request that waited maxWaitMs, and frees its place', async () => {
    const admission = new CompletionAdmission({ maxRunning: 1, maxQueued: 1, maxWaitMs: 20 });
    const release = await admission.acquire();
    await assert.rejects(admission.acquire(), (err: Error & Record<string, unknown>) => {
      assert.equal(err.name, 'NoCapacityError');
      assert.equal(err.status, 503);
      assert.equal(err.code, 'NO_CAPACITY');
      assert.ok((err.retryAfterSeconds as number) >= 1);
      return true;
    });
    assert.equal(admission.queued, 0);
    const after = admission.acquire();
    release();
    (await after)();
  });

  it('gives the place up when the waiting client leaves, so the next in line moves up', async () => {
    const admission = new CompletionAdmission({ maxRunning: 1, maxQueued: 2 });
    const release = await admission.acquire();
    const leaving = new AbortController();
    const gone = admission.acquire(leaving.signal);
    const next = admission.acquire();
    assert.equal(admission.queued, 2);
    leaving.abort();
    await assert.rejects(gone, { name: 'ClientClosedRequestError', code: 'CLIENT_CLOSED_REQUEST' });
    assert.equal(admission.queued, 1);
    release();
    const admitted: ReleaseSlot = await next;
    assert.equal(admission.running, 1);
    admitted();
    const already = new AbortController();
    already.abort();
    await assert.rejects(admission.acquire(already.signal), { name: 'ClientClosedRequestError' });
    assert.equal(admission.running, 0);
  });

  it('estimates Retry-After as the time one slot takes to free, from how long slots were held', async () => {
    let now = 0;
    const admission = new CompletionAdmission({ maxRunning: 2, maxQueued: 0 }, () => now);
    assert.equal(admission.retryAfterSeconds(), 1, 'no history yet');
    const a = await admission.acquire();
    const b = await admission.acquire();
    now = 10_000;
    a();
    b();
    // Both held 10 s; with two slots, one frees every 5 s.
    assert.equal(admission.retryAfterSeconds(), 5);
    const held = [await admission.acquire(), await admission.acquire()];
    await assert.rejects(admission.acquire(), { name: 'QueueFullError', retryAfterSeconds: 5 });
    now = 10_000 + 1_000_000;
    for (const release of held) release();
    assert.equal(admission.retryAfterSeconds(), 60, 'capped at a minute');
  });

  it('defaults to as many running sessions as a host accepts streams per connection', () => {
    const admission = new CompletionAdmission();
    assert.deepEqual(admission.limits, DEFAULT_ADMISSION_LIMITS);
    assert.equal(DEFAULT_ADMISSION_LIMITS.maxRunning, 16);
    assert.deepEqual(new CompletionAdmission({ maxQueued: 3 }).limits, {
      ...DEFAULT_ADMISSION_LIMITS,
      maxQueued: 3,
    });
  });
});

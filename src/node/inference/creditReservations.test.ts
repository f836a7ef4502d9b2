import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreditReservations } from './creditReservations.ts';

const Q = '0x00000000000000000000000000000000000000aA';

describe('CreditReservations', () => {
  it('asks each check for the caps of the open sessions plus the new one, and gives each back once', async () => {
    const r = new CreditReservations();
    const asked: bigint[] = [];
    const check = async (needed: bigint) => {
      asked.push(needed);
    };
    const first = await r.reserve(Q, 5n, check);
    const second = await r.reserve(Q.toLowerCase() as typeof Q, 7n, check);
    assert.deepEqual(asked, [5n, 12n]);
    assert.equal(r.of(Q), 12n);
    first();
    first();
    assert.equal(r.of(Q), 7n);
    second();
    assert.equal(r.of(Q), 0n);
  });

  it('decides concurrent reservations one at a time, so one deposit is never counted twice', async () => {
    const r = new CreditReservations();
    const deposit = 10n;
    const check = async (needed: bigint) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (needed > deposit) throw new Error(`needs ${needed}`);
    };
    const results = await Promise.allSettled([r.reserve(Q, 10n, check), r.reserve(Q, 10n, check)]);
    assert.deepEqual(
      results.map((x) => x.status),
      ['fulfilled', 'rejected'],
    );
    assert.equal(r.of(Q), 10n);
  });
});

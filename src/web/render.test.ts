import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, renderSnapshot } from './render.ts';
import type { DashboardSnapshot } from './snapshot.ts';

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const;
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as const;
const WIN: `0x${string}` = `0x${'ab'.repeat(32)}`;
const LOSE: `0x${string}` = `0x${'cd'.repeat(32)}`;

const snapshot = (kindName: string): DashboardSnapshot => ({
  node: { peerId: '12D3KooWtest', address: A, chainId: 31337, chainHead: '7' },
  peers: [],
  tasks: [
    {
      id: '3',
      kind: `0x${'01'.repeat(32)}`,
      kindName,
      specDigest: `0x${'02'.repeat(32)}`,
      pool: `0x${'00'.repeat(32)}`,
      creator: A,
      state: 'finalized',
      baseReward: '1',
      growthBps: 0,
      maxParticipants: 2,
      quorum: 1,
      bond: '0',
      commitDeadline: 0,
      revealDeadline: 0,
      committee: [A, B],
      commits: [A, B],
      reveals: [
        { participant: A, digest: WIN },
        { participant: B, digest: LOSE },
      ],
      winner: WIN,
      payouts: [{ account: A, amount: '1500000000000000000' }],
    },
  ],
  holdings: [{ address: A, balance: '2000000000000000000', stake: '100000000000000000000', shares: '5' }],
});

describe('renderSnapshot', () => {
  it('shows each member as winner or loser, the payout, stake and shares', () => {
    const html = renderSnapshot(snapshot('matvec'));
    assert.match(html, /revealed 0xabababab… ✓ <b>\+1\.5<\/b>/);
    assert.match(html, /revealed 0xcdcdcdcd… ✗/);
    assert.match(html, /<td>100<\/td><td>5<\/td>/);
    assert.match(html, /no peers connected/);
  });

  it('never lets node-supplied text become markup', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const html = renderSnapshot(snapshot(`<img src=x onerror=alert(1)>${name}`));
        assert.ok(!html.includes('<img'));
        assert.ok(html.includes(escapeHtml(name)));
      }),
    );
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Address, Hex } from 'viem';
import type { TaskView } from '../node/api/types.ts';
import { ALL_OK_CHECKS } from '../node/testing/healthChecks.ts';
import { registerDashboard } from './registerDashboard.ts';
import type { DashboardDeps, DashboardSnapshot } from './snapshot.ts';

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address;
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Address;
const WIN = `0x${'ab'.repeat(32)}` as Hex;

function task(state: string): TaskView {
  const done = state === 'finalized';
  return {
    id: '1',
    kind: `0x${'01'.repeat(32)}`,
    kindName: 'matvec',
    specDigest: `0x${'02'.repeat(32)}`,
    pool: `0x${'00'.repeat(32)}`,
    creator: A,
    state,
    baseReward: '1000000000000000000',
    growthBps: 0,
    maxParticipants: 2,
    quorum: 2,
    bond: '0',
    commitDeadline: 0,
    revealDeadline: 0,
    committee: [A, B],
    commits: [A, B],
    reveals: done
      ? [
          { participant: A, digest: WIN },
          { participant: B, digest: WIN },
        ]
      : [],
    winner: done ? WIN : null,
    payouts: done ? [{ account: A, amount: '1000000000000000000' }] : [],
  };
}

/** A node whose single task moves from committing to finalized when `state` changes. */
let state = 'committing';
const deps: DashboardDeps = {
  health: async () => ({
    peerId: '12D3KooWtest',
    address: A,
    chainId: 31337,
    chainHead: 42n,
    checks: ALL_OK_CHECKS,
  }),
  peers: async () => [
    { peerId: '12D3KooWpeer', addrs: ['/ip4/127.0.0.1/tcp/1'], connected: true, node: true },
  ],
  listTasks: async () => ({ tasks: [task(state)], next: null }),
  holdings: async (accounts) =>
    accounts.map((address, i) => ({ address, balance: 10n ** 18n, stake: 100n, shares: BigInt(i) })),
  credits: async (accounts) => accounts.map((_, i) => BigInt(10 * i)),
  activeNodes: async () => [A],
  models: async () => [
    {
      modelId: '1',
      name: 'concord-char',
      owner: B,
      versions: [{ index: '0', digest: WIN, taskId: '0', heldOut: { state: 'pending' } }],
    },
  ],
};

let app: FastifyInstance;
let url: string;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><main id="view"></main>');
  app = Fastify();
  registerDashboard(app, deps, { intervalMs: 20, file: join(dir, 'index.html') });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads `/v1/events` until `count` snapshot events arrived, then disconnects. */
async function snapshots(count: number, onFirst?: () => void): Promise<DashboardSnapshot[]> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, { signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const out: DashboardSnapshot[] = [];
  let buffer = '';
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += Buffer.from(value).toString();
    const events = buffer.split('\n\n');
    buffer = events.pop() ?? '';
    for (const e of events) {
      const data = /^event: snapshot\ndata: (.*)$/s.exec(e)?.[1];
      if (data === undefined) continue;
      out.push(JSON.parse(data) as DashboardSnapshot);
      if (out.length === 1) onFirst?.();
    }
  }
  controller.abort();
  return out;
}

describe('the dashboard on a node API', () => {
  it('serves the page at /', async () => {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /id="view"/);
  });

  it('streams a snapshot, then a new one only when something changed', async () => {
    state = 'committing';
    const [first, second] = await snapshots(2, () => {
      state = 'finalized';
    });
    assert.equal(first?.node.chainHead, '42');
    assert.equal(first?.peers.length, 1);
    assert.equal(first?.tasks[0]?.state, 'committing');
    assert.deepEqual(
      first?.holdings.map((h) => [h.address, h.shares, h.credits, h.active]),
      [
        [A, '0', '0', true],
        [B, '1', '10', false],
      ],
    );
    assert.equal(first?.models[0]?.name, 'concord-char');
    assert.equal(second?.tasks[0]?.state, 'finalized');
    assert.equal(second?.tasks[0]?.winner, WIN);
  });

  it('reads the state once for every open stream, not once per stream', async () => {
    let reads = 0;
    const shared = Fastify();
    registerDashboard(
      shared,
      {
        ...deps,
        health: async () => {
          reads++;
          return deps.health();
        },
      },
      { intervalMs: 60_000 },
    );
    const base = await shared.listen({ host: '127.0.0.1', port: 0 });
    const firstEvent = async () => {
      const res = await fetch(`${base}/v1/events`);
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += Buffer.from((await reader.read()).value ?? []).toString();
      return { text, reader };
    };
    const a = await firstEvent();
    const b = await firstEvent();
    assert.equal(reads, 1);
    assert.equal(a.text, b.text);
    assert.match(a.text, /^event: snapshot\n/);
    await Promise.all([a.reader.cancel(), b.reader.cancel()]);
    await shared.close();
  });

  it('sends a problem event, without the cause, when the node cannot read its state', async () => {
    const broken = Fastify();
    registerDashboard(
      broken,
      {
        ...deps,
        health: async () => {
          throw new Error('secret internal detail');
        },
      },
      { intervalMs: 20 },
    );
    const base = await broken.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/v1/events`);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += Buffer.from((await reader.read()).value ?? []).toString();
    await reader.cancel();
    await broken.close();
    assert.match(text, /^event: problem\ndata: "the node could not read its state; retrying"\n\n/);
    assert.ok(!text.includes('secret'));
  });

  it('says how to build the page when it is missing', async () => {
    const bare = Fastify();
    registerDashboard(bare, deps, { file: join(dir, 'missing.html') });
    const res = await bare.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
    await bare.close();
  });

  it('closing the API ends open event streams instead of hanging', async () => {
    const own = Fastify();
    registerDashboard(own, deps, { intervalMs: 20 });
    const base = await own.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/v1/events`);
    const reader = res.body!.getReader();
    await reader.read();
    await own.close();
    for (;;) if ((await reader.read()).done) break;
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hex } from 'viem';
import { TASKS_TOPIC } from './constants.ts';
import type { ConcordHost } from './createHost.ts';
import type { TaskAnnouncement } from './taskAnnouncement.ts';
import { TaskGossip } from './taskGossip.ts';
import { startTestHost, waitFor } from './testing.ts';

const CHAIN = 31337;
const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
let hosts: ConcordHost[] = [];
let gossips: TaskGossip[] = [];
const inbox: TaskAnnouncement[][] = [[], [], []];

before(async () => {
  const a = await startTestHost();
  const list = a.getMultiaddrs().map((m) => m.toString());
  hosts = [a, await startTestHost({ bootstrap: list }), await startTestHost({ bootstrap: list })];
  gossips = hosts.map((h) => new TaskGossip(h.services.pubsub, CHAIN));
  gossips.forEach((g, i) => {
    g.start();
    g.onAnnouncement((ann) => inbox[i]!.push(ann));
  });
  await waitFor(() => gossips[0]!.subscribers().length >= 2, 'the hub to see both subscribers');
  await waitFor(
    () => gossips[1]!.subscribers().length >= 1 && gossips[2]!.subscribers().length >= 1,
    'the leaves to see the hub subscribed',
  );
});

after(async () => {
  for (const g of gossips) g.stop();
  await Promise.all(hosts.map((h) => h.stop()));
});

/**
 * Gossip is best effort (a peer's outbound stream may still be opening), so
 * like a node would, publish again until `arrived` holds.
 */
async function publishUntil(g: TaskGossip, ann: TaskAnnouncement, arrived: () => boolean, what: string) {
  for (let attempt = 0; attempt < 30 && !arrived(); attempt++) {
    await g.publish(ann);
    await waitFor(arrived, what, 1000).catch(() => {});
  }
  assert.ok(arrived(), what);
}

const withId = (box: TaskAnnouncement[], id: bigint) => box.filter((a) => a.taskId === id);

test('an announcement from one node reaches the two others', async () => {
  const ann: TaskAnnouncement = {
    type: 'revealed',
    chainId: CHAIN,
    taskId: 2n ** 200n + 5n,
    from: FROM,
    resultDigest: `0x${'cd'.repeat(32)}` as Hex,
  };
  await publishUntil(
    gossips[1]!,
    ann,
    () => withId(inbox[0]!, ann.taskId).length > 0 && withId(inbox[2]!, ann.taskId).length > 0,
    'the announcement at a and c',
  );
  assert.deepEqual(withId(inbox[0]!, ann.taskId)[0], ann);
  assert.deepEqual(withId(inbox[2]!, ann.taskId)[0], ann);
  assert.equal(withId(inbox[1]!, ann.taskId).length, 0, 'no echo to the publisher');
});

test('invalid messages are dropped and counted, never delivered, and gossip keeps working', async () => {
  const delivered = inbox[0]!.length;
  const raw = hosts[1]!.services.pubsub;
  await raw.publish(TASKS_TOPIC, new TextEncoder().encode('{"type":"task-created"'));
  await raw.publish(TASKS_TOPIC, new Uint8Array(5000));
  await waitFor(() => gossips[0]!.stats.invalid >= 2, 'the hub to reject both');
  assert.equal(inbox[0]!.length, delivered, 'nothing delivered for them');
  const next: TaskAnnouncement = { type: 'task-created', chainId: CHAIN, taskId: 9n, from: FROM, pool: '3' };
  await publishUntil(
    gossips[1]!,
    next,
    () => withId(inbox[0]!, 9n).length > 0 && withId(inbox[2]!, 9n).length > 0,
    'the valid one at a and c',
  );
  assert.deepEqual(withId(inbox[2]!, 9n)[0], next);
});

test('announcements for another chain are ignored, not delivered', async () => {
  const other = await startTestHost({ bootstrap: hosts[0]!.getMultiaddrs().map((m) => m.toString()) });
  const g = new TaskGossip(other.services.pubsub, 1);
  g.start();
  try {
    await waitFor(() => g.subscribers().length >= 1, 'the new node to see the hub');
    const ann: TaskAnnouncement = { type: 'finalized', chainId: 1, taskId: 1234n, from: FROM };
    await publishUntil(g, ann, () => gossips[0]!.stats.otherChain >= 1, 'the hub to ignore it');
    assert.equal(withId(inbox[0]!, 1234n).length, 0);
  } finally {
    g.stop();
    await other.stop();
  }
});

test('a throwing listener does not stop other listeners; removed listeners get nothing', async () => {
  const seen: bigint[] = [];
  const removedSeen: bigint[] = [];
  const offThrowing = gossips[0]!.onAnnouncement(() => {
    throw new Error('listener bug');
  });
  const offRemoved = gossips[0]!.onAnnouncement((a) => removedSeen.push(a.taskId));
  offRemoved();
  const offSeen = gossips[0]!.onAnnouncement((a) => seen.push(a.taskId));
  try {
    const ann: TaskAnnouncement = { type: 'finalized', chainId: CHAIN, taskId: 77n, from: FROM };
    await publishUntil(gossips[2]!, ann, () => seen.includes(77n), 'the second listener to get it');
    assert.deepEqual(removedSeen, []);
  } finally {
    offThrowing();
    offSeen();
  }
});

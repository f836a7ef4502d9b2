import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import { createModel } from '../chain/actions/createModel.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { listTaskViews } from '../node/taskViews.ts';
import { ALL_OK_CHECKS } from '../node/testing/healthChecks.ts';
import { openStore, type Store } from '../store/openStore.ts';
import { tempDir } from '../store/testing.ts';
import { createTaskKindRegistry } from '../tasks/builtin.ts';
import { nodeDashboardDeps } from './nodeDashboard.ts';
import { type DashboardSnapshot, readSnapshot } from './snapshot.ts';

// A real chain with two staked nodes and a model whose genesis checkpoint is the shipped one.
let chain: DevChain;
let store: Store;
let cleanup: () => void;
const checkpoint = readFileSync(SHIPPED_CHECKPOINT);

before(async () => {
  chain = await startDevChain({ actors: 2, registerStake: parseEther('100') });
  const tmp = tempDir('web-dashboard');
  cleanup = tmp.cleanup;
  store = openStore(tmp.dir);
  const digest = store.blobs.putModel(checkpoint);
  await createModel(chain.deployer, { name: 'concord-char', genesisDigest: digest });
  await createModel(chain.deployer, { name: 'elsewhere', genesisDigest: `0x${'77'.repeat(32)}` });
});

after(async () => {
  store?.close();
  cleanup?.();
  await chain?.stop();
});

/** Reads snapshots until `done` holds for one (each read is a real chain read), at most `tries` times. */
async function snapshotUntil(
  read: () => Promise<DashboardSnapshot>,
  done: (s: DashboardSnapshot) => boolean,
  tries = 100,
): Promise<DashboardSnapshot> {
  for (let i = 0; ; i++) {
    const s = await read();
    if (done(s) || i >= tries) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dashboard on a node', () => {
  it('reads the active nodes with stake and credits, models newest first, and measures held-out loss', async () => {
    const node = chain.actors[0]!;
    const deps = nodeDashboardDeps(
      {
        health: async () => ({
          peerId: '12D3KooWtest',
          address: node.account.address,
          chainId: node.chain.id,
          chainHead: await node.publicClient.getBlockNumber(),
          checks: ALL_OK_CHECKS,
        }),
        peers: async () => [],
        listTasks: (query) => listTaskViews(node, createTaskKindRegistry(), query),
      },
      node,
      store.blobs,
      { windows: 8 },
    );
    const first = await readSnapshot(deps);
    assert.deepEqual(
      first.holdings.map((h) => [h.address, h.stake, h.credits, h.active]),
      chain.actors.map((a) => [a.account.address, parseEther('100').toString(), '0', true]),
    );
    assert.deepEqual(
      first.models.map((m) => [m.modelId, m.name, m.owner, m.versions.length]),
      [
        ['2', 'elsewhere', chain.deployer.account.address, 1],
        ['1', 'concord-char', chain.deployer.account.address, 1],
      ],
    );
    assert.deepEqual(first.models[0]?.versions[0]?.heldOut, {
      state: 'unavailable',
      reason: 'checkpoint not stored on this node',
    });
    assert.deepEqual(first.models[1]?.versions[0]?.heldOut, { state: 'pending' });
    const measured = await snapshotUntil(
      () => readSnapshot(deps),
      (s) => s.models[1]?.versions[0]?.heldOut.state !== 'pending',
    );
    const loss = measured.models[1]?.versions[0]?.heldOut;
    assert.equal(loss?.state, 'measured');
    // docs/network-model.md: the shipped model scores 1.461 bits/char on 512 held-out windows.
    if (loss?.state === 'measured') {
      assert.ok(loss.bitsPerToken > 1.0 && loss.bitsPerToken < 2.4, `${loss.bitsPerToken}`);
      assert.equal(loss.tokens, 8 * 64);
    }
  });

  it('without the blob store says why there is no loss', async () => {
    const node = chain.actors[1]!;
    const deps = nodeDashboardDeps(
      {
        health: async () => ({
          peerId: 'p',
          address: node.account.address,
          chainId: 1,
          chainHead: 1n,
          checks: ALL_OK_CHECKS,
        }),
        peers: async () => [],
        listTasks: async () => ({ tasks: [], next: null }),
      },
      node,
    );
    const s = await readSnapshot(deps);
    assert.equal(s.models[1]?.versions[0]?.heldOut.state, 'unavailable');
  });
});

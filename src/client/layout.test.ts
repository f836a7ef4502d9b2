import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stopDevnet } from '../devnet/stopDevnet.ts';
import { devnetLayout, readDevnetState, writeDevnetState } from './layout.ts';
import { resolveAccounts } from './target.ts';

describe('devnet layout and state', () => {
  it('round-trips devnet.json and names a missing devnet with a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-layout-'));
    try {
      const layout = devnetLayout(dir);
      assert.equal(layout.nodeDir(2), join(dir, 'node2'));
      assert.throws(() => readDevnetState(layout), { name: 'DevnetNotFoundError' });
      const state = {
        rpcUrl: 'http://127.0.0.1:1',
        chainId: 31337,
        anvilPid: 0,
        deploymentFile: join(dir, 'chain', 'deployment.json'),
        nodes: [],
      };
      writeDevnetState(layout, state);
      assert.deepEqual(readDevnetState(layout), state);
      // Nothing runs: down is a no-op that still clears the state file.
      assert.deepEqual(await stopDevnet(layout), { nodes: 0, chain: false });
      assert.throws(() => readDevnetState(layout), { name: 'DevnetNotFoundError' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an account argument that is not an address', () => {
    assert.throws(() => resolveAccounts({}, '0x12'), { name: 'InvalidAddressError' });
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    assert.deepEqual(resolveAccounts({}, address), [address]);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keccak256, toHex } from 'viem';
import { openStore } from '../../store/openStore.ts';
import { claimSession } from './usedSessions.ts';

describe('claimSession', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-sessions-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('claims an id once, case-insensitively, and still refuses it after the store is reopened', () => {
    const id = keccak256(toHex('session-1'));
    const other = keccak256(toHex('session-2'));
    let store = openStore(dir);
    assert.equal(claimSession(store.settings, id), true);
    assert.equal(claimSession(store.settings, id), false);
    assert.equal(claimSession(store.settings, id.toUpperCase().replace('0X', '0x') as typeof id), false);
    store.close();
    store = openStore(dir);
    try {
      assert.equal(claimSession(store.settings, id), false);
      assert.equal(claimSession(store.settings, other), true);
    } finally {
      store.close();
    }
  });
});

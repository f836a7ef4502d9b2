import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { createHeldOutLossMeter, measureHeldOutLoss } from './heldOutLoss.ts';

const checkpoint = new Uint8Array(readFileSync(SHIPPED_CHECKPOINT));

describe('measureHeldOutLoss', () => {
  it('scores the shipped model near its documented held-out figure, the same on every run', async () => {
    const a = await measureHeldOutLoss(checkpoint, { windows: 4, seqLen: 64 });
    const b = await measureHeldOutLoss(checkpoint, { windows: 4, seqLen: 64 });
    assert.equal(a.state, 'measured');
    assert.deepEqual(a, b);
    if (a.state === 'measured') {
      assert.equal(a.tokens, 4 * 32);
      assert.ok(a.bitsPerToken > 1.0 && a.bitsPerToken < 2.4, `${a.bitsPerToken}`);
    }
  });

  it('leaves models above the size limit unmeasured, saying why', async () => {
    const loss = await measureHeldOutLoss(checkpoint, { maxParams: 1000 });
    assert.equal(loss.state, 'unavailable');
    if (loss.state === 'unavailable') assert.match(loss.reason, /too large/);
  });

  it('refuses bytes that are not a checkpoint with the reader’s named error', async () => {
    await assert.rejects(measureHeldOutLoss(new Uint8Array([1, 2, 3])), (err: Error) =>
      err.name.startsWith('Safetensors'),
    );
  });
});

describe('createHeldOutLossMeter', () => {
  it('answers pending, then the measurement; asks again for a checkpoint it did not hold', async () => {
    const stored = new Map<string, Uint8Array>();
    const digest = `0x${'ab'.repeat(32)}` as const;
    const corrupt = `0x${'cd'.repeat(32)}` as const;
    const meter = createHeldOutLossMeter((d) => stored.get(d) ?? null, { windows: 2, seqLen: 32 });
    assert.deepEqual(meter(digest), { state: 'unavailable', reason: 'checkpoint not stored on this node' });
    stored.set(digest, checkpoint);
    stored.set(corrupt, new Uint8Array(64));
    assert.deepEqual(meter(digest), { state: 'pending' });
    assert.deepEqual(meter(corrupt), { state: 'pending' });
    const settled = async (d: `0x${string}`) => {
      for (let i = 0; i < 200 && meter(d).state === 'pending'; i++)
        await new Promise((r) => setTimeout(r, 20));
      return meter(d);
    };
    const measured = await settled(digest);
    assert.deepEqual(measured, await measureHeldOutLoss(checkpoint, { windows: 2, seqLen: 32 }));
    const refused = await settled(corrupt);
    assert.equal(refused.state, 'unavailable');
    if (refused.state === 'unavailable')
      assert.match(refused.reason, /^not a readable checkpoint \(Safetensors\w*Error\)$/);
  });
});

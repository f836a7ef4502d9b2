import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { digestBytes } from '../core/digest.ts';
import { tinyCheckpoint, tinyGradientSetup, tinyShardIds, tinyTrainSetup } from './mlFixtures.ts';
import { shardBlob } from './shardBlob.ts';
import { createTaskThreadPool, inThreadRunner } from './taskRunner.ts';
import { MemoryBlobs } from './testing.ts';

/** The fixture model and shard as the blob map a runner takes. */
function fixtureBlobs(): Map<Hex, Uint8Array> {
  const model = tinyCheckpoint();
  const shard = shardBlob(tinyShardIds()).bytes;
  return new Map([
    [digestBytes(model), model],
    [digestBytes(shard), shard],
  ]);
}

describe('task runners', () => {
  const pool = createTaskThreadPool(2);
  after(() => pool.close());

  it('give the same bytes in worker threads as in this thread, for tasks run at the same time', async () => {
    const blobs = fixtureBlobs();
    const specs = [
      tinyGradientSetup(new MemoryBlobs(), { seed: 1 }),
      tinyGradientSetup(new MemoryBlobs(), { seed: 2 }),
      tinyTrainSetup(new MemoryBlobs()),
    ];
    const local = inThreadRunner();
    const here = await Promise.all(specs.map((s) => local(s.kind, s, blobs)));
    const there = await Promise.all(specs.map((s) => pool.run(s.kind, s, blobs)));
    assert.deepEqual(there, here);
    assert.notDeepEqual(here[0], here[1]);
  });

  it("pass a task's named error back from the thread and keep serving", async () => {
    const blobs = fixtureBlobs();
    const spec = tinyGradientSetup(new MemoryBlobs());
    await assert.rejects(pool.run('gradient', { ...spec, batchSize: 0 }, blobs), { name: 'TaskSpecError' });
    await assert.rejects(pool.run('sort', {}, blobs), { name: 'UnknownTaskKindError' });
    await assert.rejects(pool.run('gradient', { ...spec, seqLen: 17 }, blobs), {
      name: 'InvalidTrainingSetupError',
    });
    assert.ok((await pool.run('gradient', spec, blobs)).length > 0);
  });
});

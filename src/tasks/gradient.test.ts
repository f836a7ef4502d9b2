import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTensor } from '../core/codec.ts';
import { Gpt } from '../model/gpt.ts';
import { GptParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { makeBatch, sampleBatch } from '../model/train.ts';
import { createTaskKindRegistry } from './builtin.ts';
import { GRADIENT_METADATA_KEY, readCheckpoint } from './checkpoint.ts';
import { gradientKind } from './gradient.ts';
import { fixtureResultInChild, tinyCheckpoint, tinyGradientSetup, tinyShardIds } from './mlFixtures.ts';
import { decodeTaskSpec, encodeTaskSpec } from './spec.ts';
import { MemoryBlobs } from './testing.ts';

describe('gradient task kind', () => {
  it('has the on-chain kind id keccak256("gradient"), round-trips its spec and lists model and shard', () => {
    const registry = createTaskKindRegistry();
    const spec = tinyGradientSetup(new MemoryBlobs());
    assert.equal(registry.get('gradient'), gradientKind);
    const encoded = encodeTaskSpec(registry, spec);
    assert.deepEqual(decodeTaskSpec(registry, encoded.bytes, gradientKind.kindId).spec, spec);
    assert.deepEqual(gradientKind.inputs(spec), [spec.model, spec.shard]);
  });

  it('rejects bad specs with TaskSpecError', () => {
    const spec = tinyGradientSetup(new MemoryBlobs());
    const bad: unknown[] = [
      null,
      { ...spec, kind: 'train' },
      { ...spec, kernel: 'concord-k0' },
      { ...spec, model: '0x12' },
      { ...spec, batchSize: 0 },
      { ...spec, seqLen: 1.5 },
      { ...spec, seed: -1 },
      { ...spec, steps: 2 },
      (({ shard: _, ...rest }) => rest)(spec),
    ];
    for (const json of bad)
      assert.throws(() => gradientKind.parseSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it("equals the model's own backward pass on the sampled batch, bit for bit, marked as a gradient", async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyGradientSetup(blobs);
    const out = readCheckpoint(await gradientKind.run(spec, blobs.context()));
    const params = readCheckpoint(tinyCheckpoint()).params;
    const batch = sampleBatch(tinyShardIds(), new Rng(spec.seed), makeBatch(spec.batchSize, spec.seqLen));
    const model = new Gpt(params);
    model.loss(batch.tokens, batch.targets, batch.batchSize);
    const grads = GptParams.zeros(params.config);
    model.backward(grads);
    assert.deepEqual(out.params.flat, grads.flat);
    assert.equal(out.metadata[GRADIENT_METADATA_KEY], 'mean-loss');
    assert.ok(out.params.flat.some((g) => g !== 0));
    const again = await gradientKind.run(spec, blobs.context());
    const other = await gradientKind.run({ ...spec, seed: spec.seed + 1 }, blobs.context());
    assert.deepEqual(readCheckpoint(again).params.flat, out.params.flat);
    assert.notDeepEqual(readCheckpoint(other).params.flat, out.params.flat);
  });

  it('gives identical bytes in two separate processes', async () => {
    const [one, two] = await Promise.all([
      fixtureResultInChild('gradient'),
      fixtureResultInChild('gradient'),
    ]);
    const blobs = new MemoryBlobs();
    const local = await gradientKind.run(tinyGradientSetup(blobs), blobs.context());
    assert.ok(one.length > 1000);
    assert.equal(one, two);
    assert.equal(one, Buffer.from(local).toString('base64'));
  });

  it('rejects a window longer than the context, and a shard of foreign ids, with named errors', async () => {
    const blobs = new MemoryBlobs();
    const long = tinyGradientSetup(blobs, { seqLen: 17 });
    await assert.rejects(gradientKind.run(long, blobs.context()), { name: 'InvalidTrainingSetupError' });
    const shard = blobs.put(encodeTensor({ dtype: 'i32', shape: [40], data: new Int32Array(40).fill(99) }));
    const foreign = tinyGradientSetup(blobs, { shard });
    await assert.rejects(gradientKind.run(foreign, blobs.context()), { name: 'TaskInputError' });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTensor } from '../core/codec.ts';
import { Gpt } from '../model/gpt.ts';
import { Rng } from '../model/rng.ts';
import { lrAt, makeBatch, sampleBatch, Trainer } from '../model/train.ts';
import { createTaskKindRegistry } from './builtin.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { fixtureResultInChild, tinyCheckpoint, tinyShardIds, tinyTrainSetup } from './mlFixtures.ts';
import { decodeTaskSpec, encodeTaskSpec } from './spec.ts';
import { MemoryBlobs } from './testing.ts';
import { trainKind } from './train.ts';

/** Mean loss of a checkpoint on the first windows of the fixture text. */
function fixtureLoss(bytes: Uint8Array): number {
  const ids = tinyShardIds();
  const model = new Gpt(readCheckpoint(bytes).params);
  return model.loss(ids.subarray(0, 64), ids.subarray(1, 65), 4);
}

describe('train task kind', () => {
  it('has the on-chain kind id keccak256("train") and lists model and shard as inputs', () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs);
    assert.equal(trainKind.kindId, '0x13f0d4d3cad54b097abdd2bbaa41135d57749e37859e2ff46959a45765d58ca4');
    assert.deepEqual(trainKind.parseSpec(JSON.parse(JSON.stringify(spec))), spec);
    assert.deepEqual(trainKind.inputs(spec), [spec.model, spec.shard]);
  });

  it('round-trips through the canonical spec encoding of the built-in registry', () => {
    const registry = createTaskKindRegistry();
    const spec = tinyTrainSetup(new MemoryBlobs(), { lr: 0.003, minLr: 0.0003, weightDecay: 0.1 });
    const encoded = encodeTaskSpec(registry, spec);
    const decoded = decodeTaskSpec(registry, encoded.bytes, trainKind.kindId);
    assert.equal(decoded.kind, trainKind);
    assert.deepEqual(decoded.spec, spec);
  });

  it('rejects bad specs with TaskSpecError', () => {
    const spec = tinyTrainSetup(new MemoryBlobs());
    const bad: unknown[] = [
      null,
      { ...spec, kind: 'aggregate' },
      { ...spec, kernel: 'concord-k0' },
      { ...spec, model: 'abc' },
      { ...spec, steps: 0 },
      { ...spec, steps: 1.5 },
      { ...spec, batchSize: 0 },
      { ...spec, seed: -1 },
      { ...spec, lr: 0 },
      { ...spec, lr: Number.NaN },
      { ...spec, minLr: 0.5 },
      { ...spec, weightDecay: -0.1 },
      { ...spec, maxGradNorm: '1' },
      { ...spec, extra: true },
      (({ shard: _, ...rest }) => rest)(spec),
    ];
    for (const json of bad)
      assert.throws(() => trainKind.parseSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it('returns the same bytes twice, other bytes for another seed, and a model with lower loss', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs, { steps: 12 });
    const a = await trainKind.run(spec, blobs.context());
    const b = await trainKind.run(spec, blobs.context());
    assert.deepEqual(a, b);
    const c = await trainKind.run({ ...spec, seed: spec.seed + 1 }, blobs.context());
    assert.notDeepEqual(c, a);
    const before = fixtureLoss(tinyCheckpoint());
    const after = fixtureLoss(a);
    assert.ok(after < before - 0.1, `loss ${before} -> ${after}`);
  });

  it('equals the same steps taken by the model Trainer on the JS heap, bit for bit', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs, { steps: 5, startStep: 3 });
    const { params, metadata } = readCheckpoint(tinyCheckpoint());
    const trainer = new Trainer(params, {
      lr: spec.lr,
      weightDecay: spec.weightDecay,
      maxGradNorm: spec.maxGradNorm,
    });
    const rng = new Rng(spec.seed);
    const batch = makeBatch(spec.batchSize, spec.seqLen);
    for (let s = 0; s < spec.steps; s++) {
      trainer.step(sampleBatch(tinyShardIds(), rng, batch), lrAt(spec, spec.startStep + s));
    }
    assert.deepEqual(await trainKind.run(spec, blobs.context()), writeCheckpoint({ params, metadata }));
  });

  it('continues from carried AdamW state and returns the updated state, as the Trainer does', async () => {
    const blobs = new MemoryBlobs();
    const first = tinyTrainSetup(blobs, { steps: 3 });
    const { params, metadata } = readCheckpoint(tinyCheckpoint());
    const n = params.flat.length;
    const zero = { m: new Float32Array(n), v: new Float32Array(n), step: 0 };
    const model = blobs.put(writeCheckpoint({ params: params.clone(), metadata, optimizer: zero }));
    const once = readCheckpoint(await trainKind.run({ ...first, model }, blobs.context()));
    assert.equal(once.optimizer?.step, 3);
    const second = { ...first, model: blobs.put(writeCheckpoint(once)), startStep: 3, seed: 8 };
    const twice = readCheckpoint(await trainKind.run(second, blobs.context()));
    assert.equal(twice.optimizer?.step, 6);
    // The same six steps with one persistent optimizer.
    const trainer = new Trainer(params, {
      lr: first.lr,
      weightDecay: first.weightDecay,
      maxGradNorm: first.maxGradNorm,
    });
    const batch = makeBatch(first.batchSize, first.seqLen);
    for (const [seed, start] of [
      [7, 0],
      [8, 3],
    ] as const) {
      const rng = new Rng(seed);
      for (let s = 0; s < 3; s++)
        trainer.step(sampleBatch(tinyShardIds(), rng, batch), lrAt(first, start + s));
    }
    assert.deepEqual(twice.params.flat, params.flat);
    assert.deepEqual(twice.optimizer, { m: trainer.optimizer.m, v: trainer.optimizer.v, step: 6 });
  });

  it('passes the checkpoint metadata (tokenizer) through unchanged', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs);
    const out = readCheckpoint(await trainKind.run(spec, blobs.context()));
    assert.deepEqual(out.metadata, readCheckpoint(tinyCheckpoint()).metadata);
  });

  it('gives identical bytes in two separate processes', async () => {
    const [one, two] = await Promise.all([fixtureResultInChild('train'), fixtureResultInChild('train')]);
    const blobs = new MemoryBlobs();
    const local = await trainKind.run(tinyTrainSetup(blobs), blobs.context());
    assert.ok(one.length > 1000);
    assert.equal(one, two);
    assert.equal(one, Buffer.from(local).toString('base64'));
  });

  it('rejects a seqLen beyond the context length', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs, { seqLen: 17 });
    await assert.rejects(trainKind.run(spec, blobs.context()), { name: 'InvalidTrainingSetupError' });
  });

  it('rejects shards that are not i32 ids of the vocabulary, or too short, with TaskInputError', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs);
    const shards = [
      encodeTensor({ dtype: 'f32', shape: [40], data: new Float32Array(40) }),
      encodeTensor({ dtype: 'i32', shape: [4, 10], data: new Int32Array(40) }),
      encodeTensor({ dtype: 'i32', shape: [40], data: new Int32Array(40).fill(9) }),
      encodeTensor({ dtype: 'i32', shape: [40], data: new Int32Array(40).fill(-1) }),
      encodeTensor({ dtype: 'i32', shape: [16], data: new Int32Array(16) }),
    ];
    for (const bytes of shards) {
      await assert.rejects(trainKind.run({ ...spec, shard: blobs.put(bytes) }, blobs.context()), {
        name: 'TaskInputError',
      });
    }
  });

  it('rejects a base checkpoint holding NaN, and a truncated one', async () => {
    const blobs = new MemoryBlobs();
    const spec = tinyTrainSetup(blobs);
    const nan = tinyCheckpoint().slice();
    new DataView(nan.buffer).setFloat32(nan.length - 4, Number.NaN, true);
    await assert.rejects(trainKind.run({ ...spec, model: blobs.put(nan) }, blobs.context()), {
      name: 'SafetensorsNonFiniteError',
    });
    const cut = tinyCheckpoint().slice(0, 100);
    await assert.rejects(trainKind.run({ ...spec, model: blobs.put(cut) }, blobs.context()), /Safetensors/);
  });

  it('rejects a base model whose loss overflows with NonFiniteLossError', async () => {
    const blobs = new MemoryBlobs();
    const { params, metadata } = readCheckpoint(tinyCheckpoint());
    params.view('wte.weight').fill(3e38);
    const model = blobs.put(writeCheckpoint({ params, metadata }));
    await assert.rejects(trainKind.run(tinyTrainSetup(blobs, { model }), blobs.context()), {
      name: 'NonFiniteLossError',
    });
  });

  it('stops with TaskAbortedError when its signal is aborted', async () => {
    const blobs = new MemoryBlobs();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(trainKind.run(tinyTrainSetup(blobs), blobs.context(controller.signal)), {
      name: 'TaskAbortedError',
    });
  });
});

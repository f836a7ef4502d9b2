import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { fedAvg } from '../core/aggregate/fedAvg.ts';
import { serverStep } from '../core/aggregate/serverStep.ts';
import { Gpt } from '../model/gpt.ts';
import { lrAt, Trainer } from '../model/train.ts';
import { aggregateKind } from '../tasks/aggregate.ts';
import { readCheckpoint, writeCheckpoint } from '../tasks/checkpoint.ts';
import { gradientKind } from '../tasks/gradient.ts';
import { TINY_TOKENIZER, tinyShardIds } from '../tasks/mlFixtures.ts';
import { shardBlob } from '../tasks/shardBlob.ts';
import { MemoryBlobs } from '../tasks/testing.ts';
import { trainKind } from '../tasks/train.ts';
import type { CharCorpus } from './corpus.ts';
import {
  centralRound,
  federatedRound,
  initialCheckpoint,
  recipeSchedule,
  roundAggregateSpec,
  roundGradientSpec,
  roundTrainSpec,
} from './networkTraining.ts';
import { FEDAVG_RECIPE, type NetworkModelRecipe } from './recipe.ts';
import { splitIntoShards } from './shards.ts';

const recipe: NetworkModelRecipe = {
  ...FEDAVG_RECIPE,
  dModel: 8,
  nHeads: 2,
  nLayers: 1,
  contextLength: 8,
  shards: 3,
  rounds: 2,
  localSteps: 3,
  taskBatch: 2,
  seqLen: 8,
  lr: 0.01,
  minLr: 0.001,
  warmupSteps: 1,
};
const ids = tinyShardIds(600);
const corpus = { tokenizer: TINY_TOKENIZER, trainIds: ids } as unknown as CharCorpus;
const shards = splitIntoShards(ids, recipe.shards, recipe.seqLen + 1).map(shardBlob);

describe('training the network model', () => {
  it('runs a federated round as the train tasks of every shard, FedAvg of their results, then the server step', async () => {
    const base = initialCheckpoint(recipe, corpus);
    const halfStep = { ...recipe, serverLr: 0.5, serverLrStartRound: 1 };
    const next = await federatedRound(halfStep, base, shards, 1);
    assert.deepEqual(await federatedRound(halfStep, base, shards, 1), next);
    const blobs = new MemoryBlobs();
    const model = blobs.put(base);
    for (const s of shards) blobs.put(s.bytes);
    const results: Float32Array[] = [];
    for (const [i, s] of shards.entries()) {
      const out = await trainKind.run(roundTrainSpec(recipe, model, s, 1, i), blobs.context());
      results.push(readCheckpoint(out).params.flat);
    }
    const expected = fedAvg(
      results,
      shards.map((s) => s.tokens),
    );
    const got = readCheckpoint(next);
    assert.deepEqual(got.params.flat, serverStep(readCheckpoint(base).params.flat, expected, 0.5));
    const plain = readCheckpoint(
      await federatedRound({ ...halfStep, serverLrStartRound: 2 }, base, shards, 1),
    );
    assert.deepEqual(plain.params.flat, expected);
    assert.deepEqual(got.metadata, readCheckpoint(base).metadata);
  });

  it('runs a gradient round as the gradient tasks of every shard and one AdamW step at the scheduled rate', async () => {
    const gradientRecipe = { ...recipe, exchange: 'gradients' as const, localSteps: 1, rounds: 6 };
    const base = initialCheckpoint(gradientRecipe, corpus);
    const next = await federatedRound(gradientRecipe, base, shards, 2);
    const blobs = new MemoryBlobs();
    const model = blobs.put(base);
    for (const s of shards) blobs.put(s.bytes);
    const results: Hex[] = [];
    for (const [i, s] of shards.entries())
      results.push(
        blobs.put(await gradientKind.run(roundGradientSpec(gradientRecipe, model, s, 2, i), blobs.context())),
      );
    const spec = roundAggregateSpec(gradientRecipe, model, results, shards, 2);
    assert.equal(spec.lr, lrAt(recipeSchedule(gradientRecipe), 2));
    assert.deepEqual(next, await aggregateKind.run(spec, blobs.context()));
    assert.equal(readCheckpoint(next).optimizer?.step, 1);
    await assert.rejects(federatedRound({ ...gradientRecipe, localSteps: 2 }, base, shards, 0), {
      name: 'InvalidTrainingSetupError',
    });
  });

  it('gives every train task of a run its own seed and its place in the global schedule', () => {
    const model = shards[0]!.digest;
    const specs = [0, 1].flatMap((r) => shards.map((s, i) => roundTrainSpec(recipe, model, s, r, i)));
    assert.equal(new Set(specs.map((s) => s.seed)).size, specs.length);
    assert.deepEqual(
      specs.map((s) => s.startStep),
      [0, 0, 0, 3, 3, 3],
    );
    assert.ok(specs.every((s) => s.totalSteps === 6));
  });

  it('lowers the loss in the central baseline with the same tokens per round', () => {
    const { params, metadata } = readCheckpoint(initialCheckpoint(recipe, corpus));
    const before = new Gpt(params.clone()).loss(ids.subarray(0, 64), ids.subarray(1, 65), 8);
    const trainer = new Trainer(params, { lr: recipe.lr });
    for (let r = 0; r < 4; r++) centralRound(recipe, trainer, ids, r);
    const after = new Gpt(readCheckpoint(writeCheckpoint({ params, metadata })).params).loss(
      ids.subarray(0, 64),
      ids.subarray(1, 65),
      8,
    );
    assert.ok(after < before, `${before} -> ${after}`);
  });
});

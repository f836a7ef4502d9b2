import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { fedAvg } from '../core/aggregate/fedAvg.ts';
import { AdamW, weightDecayMask } from '../model/adamw.ts';
import { Rng } from '../model/rng.ts';
import { makeBatch, sampleBatch, Trainer } from '../model/train.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { type AggregateSpec, aggregateKind } from './aggregate.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { gradientKind } from './gradient.ts';
import { tinyCheckpoint, tinyGradientSetup, tinyShardIds } from './mlFixtures.ts';
import { MemoryBlobs } from './testing.ts';

/** Runs gradient tasks of seeds `seeds` on the tiny model; returns their digests and the base's. */
async function gradients(blobs: MemoryBlobs, seeds: number[], batchSize = 3) {
  const results: Hex[] = [];
  let base: Hex = blobs.put(tinyCheckpoint());
  for (const seed of seeds) {
    const spec = tinyGradientSetup(blobs, { seed, batchSize });
    base = spec.model;
    results.push(blobs.put(await gradientKind.run(spec, blobs.context())));
  }
  return { base, inputs: results };
}

function adamwSpec(base: Hex, inputs: Hex[]): AggregateSpec {
  return {
    kind: 'aggregate',
    kernel: KERNEL_VERSION,
    rule: 'fedavg',
    inputs,
    base,
    serverOptimizer: 'adamw',
    lr: 0.01,
    weightDecay: 0.1,
    maxGradNorm: 1,
  };
}

describe('aggregate task kind, server optimizer', () => {
  it('parses the serverOptimizer fields together and rejects partial or mixed ones', async () => {
    const blobs = new MemoryBlobs();
    const { base, inputs } = await gradients(blobs, [1]);
    const spec = adamwSpec(base, inputs);
    assert.deepEqual(aggregateKind.parseSpec(JSON.parse(JSON.stringify(spec))), spec);
    assert.deepEqual(aggregateKind.inputs(spec), [...inputs, base]);
    // ModelRegistry checks the pool's winners alone against the task's inputsRoot.
    assert.deepEqual(aggregateKind.poolInputs?.(spec), inputs);
    const { lr: _, ...noLr } = spec;
    const bad: unknown[] = [
      noLr,
      { ...spec, serverOptimizer: 'sgd' },
      { ...spec, lr: 0 },
      { ...spec, lr: 2 },
      { ...spec, weightDecay: -1 },
      { ...spec, maxGradNorm: Number.NaN },
      { ...spec, serverLr: 1 },
      (({ base: _b, ...rest }) => rest)(spec),
    ];
    for (const json of bad)
      assert.throws(() => aggregateKind.parseSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it('takes one AdamW step from the base along the FedAvg of the gradients, continuing its moments', async () => {
    const blobs = new MemoryBlobs();
    const { base, inputs } = await gradients(blobs, [1, 2, 3]);
    const first = await aggregateKind.run(adamwSpec(base, inputs), blobs.context());
    const got = readCheckpoint(first);
    const expected = readCheckpoint(tinyCheckpoint());
    const ctx = blobs.context();
    const grads = await Promise.all(
      inputs.map(async (d) => readCheckpoint(await ctx.getBlob(d)).params.flat),
    );
    const mean = fedAvg(grads, [1, 1, 1]);
    const mask = weightDecayMask(expected.params.specs);
    const reference = new AdamW(mean.length, { lr: 0.01, weightDecay: 0.1, maxGradNorm: 1 }, mask);
    reference.step(expected.params.flat, mean);
    assert.deepEqual(got.params.flat, expected.params.flat);
    assert.deepEqual(got.optimizer?.m, reference.m);
    assert.equal(got.optimizer?.step, 1);
    assert.deepEqual(got.metadata, expected.metadata);
    // A second step from the stepped version continues its moments (step 2).
    const next = blobs.put(first);
    const second = readCheckpoint(await aggregateKind.run(adamwSpec(next, inputs), blobs.context()));
    reference.step(expected.params.flat, mean);
    assert.deepEqual(second.params.flat, expected.params.flat);
    assert.equal(second.optimizer?.step, 2);
  });

  it('matches one central AdamW step on the union of the batches, up to float rounding', async () => {
    const blobs = new MemoryBlobs();
    const seeds = [4, 9];
    const { base, inputs } = await gradients(blobs, seeds, 4);
    const stepped = readCheckpoint(await aggregateKind.run(adamwSpec(base, inputs), blobs.context()));
    const central = readCheckpoint(tinyCheckpoint()).params;
    const batch = makeBatch(8, 16);
    const half = 4 * 16;
    for (const [i, seed] of seeds.entries()) {
      const part = sampleBatch(tinyShardIds(), new Rng(seed), makeBatch(4, 16));
      batch.tokens.set(part.tokens, i * half);
      batch.targets.set(part.targets, i * half);
    }
    new Trainer(central, { lr: 0.01, weightDecay: 0.1, maxGradNorm: 1 }).step(batch);
    let worst = 0;
    for (let i = 0; i < central.flat.length; i++)
      worst = Math.max(worst, Math.abs((central.flat[i] as number) - (stepped.params.flat[i] as number)));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  });

  it('refuses model checkpoints under serverOptimizer and gradients without it, with TaskInputError', async () => {
    const blobs = new MemoryBlobs();
    const { base, inputs } = await gradients(blobs, [1, 2]);
    await assert.rejects(aggregateKind.run(adamwSpec(base, [base, base]), blobs.context()), {
      name: 'TaskInputError',
    });
    const plain: AggregateSpec = { kind: 'aggregate', kernel: KERNEL_VERSION, rule: 'fedavg', inputs };
    await assert.rejects(aggregateKind.run(plain, blobs.context()), { name: 'TaskInputError' });
    const otherBase = blobs.put(writeCheckpoint({ ...readCheckpoint(tinyCheckpoint()), metadata: {} }));
    await assert.rejects(aggregateKind.run(adamwSpec(otherBase, inputs), blobs.context()), {
      name: 'TaskInputError',
    });
  });
});

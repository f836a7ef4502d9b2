import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAbiParameters, type Hex, keccak256 } from 'viem';
import { inputsRootOf } from '../chain/taskTypes.ts';
import { recipeSchedule } from '../data/networkTraining.ts';
import { lrAt } from '../model/train.ts';
import { aggregateKind } from '../tasks/aggregate.ts';
import { gradientKind } from '../tasks/gradient.ts';
import { shippedTokenizer } from './genesis.ts';
import {
  DEVNET_DATA_SHARDS,
  DEVNET_RECIPE,
  devnetAggregateSpec,
  devnetGradientSpecs,
  devnetRoundIndex,
  devnetShards,
} from './trainingRound.ts';

const digest = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

describe('the devnet training round', () => {
  const tokenizer = shippedTokenizer();

  it('gives each round the next data shards, wrapping around the corpus', () => {
    const first = devnetShards(tokenizer, 4, 0n);
    const second = devnetShards(tokenizer, 4, 1n);
    assert.equal(new Set([...first, ...second].map((s) => s.digest)).size, 8);
    const wrapped = devnetShards(tokenizer, 4, BigInt(DEVNET_DATA_SHARDS / 4));
    assert.deepEqual(
      wrapped.map((s) => s.digest),
      first.map((s) => s.digest),
    );
    for (const s of first) assert.ok(s.tokens > 100_000, `${s.tokens} characters`);
  });

  it('builds gradient specs every node accepts, with distinct seeds, on the round’s base', () => {
    const shards = devnetShards(tokenizer, 3, 2n);
    const specs = devnetGradientSpecs(digest(1), 2n, shards);
    for (const spec of specs) assert.deepEqual(gradientKind.parseSpec(spec), spec);
    assert.equal(new Set(specs.map((s) => s.seed)).size, 3);
    assert.deepEqual(
      specs.map((s) => s.shard),
      shards.map((s) => s.digest),
    );
    assert.equal(devnetRoundIndex(2n), DEVNET_RECIPE.rounds + 2);
    assert.ok(specs.every((s) => s.batchSize === DEVNET_RECIPE.taskBatch && s.model === digest(1)));
  });

  it('aggregates the winners into one AdamW step from the base after the shipped model’s schedule, with the inputs root TaskMarket expects', () => {
    const winners = [digest(5), digest(6)];
    const spec = devnetAggregateSpec(winners, digest(1), 2n);
    assert.deepEqual(aggregateKind.parseSpec(spec), spec);
    assert.equal(spec.serverOptimizer, 'adamw');
    assert.equal(spec.base, digest(1));
    assert.equal(spec.lr, lrAt(recipeSchedule(DEVNET_RECIPE), devnetRoundIndex(2n)));
    assert.equal(spec.lr, DEVNET_RECIPE.minLr);
    assert.deepEqual(aggregateKind.inputs(spec), [...winners, digest(1)]);
    assert.deepEqual(aggregateKind.poolInputs?.(spec), winners);
    assert.equal(inputsRootOf(winners), keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [winners])));
    assert.notEqual(inputsRootOf(winners), inputsRootOf([...winners].reverse()));
  });
});

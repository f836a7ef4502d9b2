import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GptParams, makeGptConfig } from '../../model/index.ts';
import { gptExchanges } from '../exchange.ts';
import { shardRanges } from '../planner.ts';
import { exchangeShardBytes } from './shardBytes.ts';
import { cutExchangeShard } from './weights.ts';

describe('exchangeShardBytes', () => {
  it('equals the bytes of every array cutExchangeShard returns, for every shard of every exchange', () => {
    const config = makeGptConfig({ vocabSize: 37, contextLength: 8, dModel: 12, nHeads: 3, nLayers: 2 });
    const params = GptParams.init(config, 5);
    let checked = 0;
    for (const spec of gptExchanges(config)) {
      for (const sharding of [{ shardsPerMatrix: 1 }, { shardsPerMatrix: 3 }, { rowsPerShard: 7 }]) {
        shardRanges(spec.rows, sharding).forEach((units, shard) => {
          const w = cutExchangeShard(params, spec, shard, units);
          const arrays = Object.values(w).filter((v): v is Float32Array => v instanceof Float32Array);
          const total = arrays.reduce((sum, a) => sum + a.byteLength, 0);
          assert.equal(exchangeShardBytes(config, spec, units), total, `${spec.name} [${units}]`);
          checked++;
        });
      }
    }
    assert.ok(checked > 20);
  });
});

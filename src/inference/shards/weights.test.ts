import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GptParams, makeGptConfig } from '../../model/index.ts';
import { isKernelResident, wasmAvailable } from '../../tensor/index.ts';
import { gptExchanges } from '../exchange.ts';
import { shardRanges } from '../planner.ts';
import { checkExchangeShard, cutExchangeShard, placeShardInKernelMemory } from './weights.ts';

const config = makeGptConfig({ vocabSize: 29, contextLength: 8, dModel: 12, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 9);
const [C, hd, H] = [12, 4, 48];
const specs = gptExchanges(config);
const spec = (name: string) => specs.find((s) => s.name === name)!;

describe('cutExchangeShard', () => {
  it('cuts an attention shard: the group’s q, k, v rows with their bias, and c_proj’s columns', () => {
    const w = cutExchangeShard(params, spec('h.1.attn'), 1, [1, 3]);
    assert.equal(w.kind, 'attn');
    if (w.kind !== 'attn') return;
    const block = params.weights.blocks[1]!;
    const g = 2 * hd;
    for (let part = 0; part < 3; part++) {
      for (let r = 0; r < g; r++) {
        const src = part * C + hd + r;
        assert.deepEqual(
          w.qkv.subarray((part * g + r) * C, (part * g + r + 1) * C),
          block.qkv.weight.subarray(src * C, (src + 1) * C),
        );
        assert.equal(w.qkvBias[part * g + r], block.qkv.bias[src]);
      }
    }
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < g; j++) assert.equal(w.proj[i * g + j], block.attnProj.weight[i * C + hd + j]);
    }
  });

  it('cuts an MLP shard (c_fc rows as views, c_proj columns copied) and an output-head shard (wte rows)', () => {
    const w = cutExchangeShard(params, spec('h.0.mlp'), 2, [30, 41]);
    assert.equal(w.kind, 'mlp');
    if (w.kind !== 'mlp') return;
    const block = params.weights.blocks[0]!;
    assert.equal(w.fc.buffer, params.flat.buffer);
    assert.deepEqual(w.fc, block.fc.weight.subarray(30 * C, 41 * C));
    assert.deepEqual(w.fcBias, block.fc.bias.subarray(30, 41));
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < 11; j++) assert.equal(w.proj[i * 11 + j], block.mlpProj.weight[i * H + 30 + j]);
    }
    const head = cutExchangeShard(params, spec('wte.weight'), 0, [5, 29]);
    assert.equal(head.kind, 'lm_head');
    if (head.kind === 'lm_head') assert.deepEqual(head.weight, params.weights.wte.subarray(5 * C, 29 * C));
  });

  it('gives shards that pass checkExchangeShard at every sharding', () => {
    for (const sharding of [{ shardsPerMatrix: 1 }, { shardsPerMatrix: 2 }, { rowsPerShard: 7 }]) {
      for (const s of specs) {
        for (const [i, range] of shardRanges(s.rows, sharding).entries()) {
          checkExchangeShard(cutExchangeShard(params, s, i, range));
        }
      }
    }
  });

  it('refuses a range outside the exchange or an exchange of another model with ExchangeShardInvalidError', () => {
    const bad: Array<[string, [number, number]]> = [
      ['h.0.attn', [0, 4]],
      ['h.0.attn', [2, 2]],
      ['h.0.mlp', [-1, 3]],
      ['wte.weight', [0, 30]],
      ['h.1.mlp', [0.5, 3]],
    ];
    for (const [name, range] of bad) {
      assert.throws(
        () => cutExchangeShard(params, spec(name), 0, range),
        { name: 'ExchangeShardInvalidError' },
        name,
      );
    }
    assert.throws(() => cutExchangeShard(params, { ...spec('h.1.mlp'), layer: 2 }, 0, [0, 3]), {
      name: 'ExchangeShardInvalidError',
    });
    assert.throws(() => cutExchangeShard(params, { ...spec('h.1.mlp'), cols: 13 }, 0, [0, 3]), {
      name: 'ExchangeShardInvalidError',
    });
  });
});

describe('checkExchangeShard', () => {
  it('throws ExchangeShardInvalidError on a buffer of the wrong size or a bad range', () => {
    const attn = cutExchangeShard(params, spec('h.0.attn'), 0, [0, 2]);
    const mlp = cutExchangeShard(params, spec('h.0.mlp'), 0, [0, 10]);
    const head = cutExchangeShard(params, spec('wte.weight'), 0, [0, 10]);
    if (attn.kind !== 'attn' || mlp.kind !== 'mlp' || head.kind !== 'lm_head')
      throw new Error('unexpected kinds');
    const broken = [
      { ...attn, qkv: attn.qkv.subarray(1) },
      { ...attn, qkvBias: new Float32Array(3) },
      { ...attn, proj: new Float32Array(attn.proj.length + 1) },
      { ...attn, headEnd: 3 },
      { ...attn, headDim: 0 },
      { ...mlp, fc: mlp.fc.subarray(C) },
      { ...mlp, fcBias: mlp.fcBias.subarray(1) },
      { ...mlp, proj: mlp.proj.subarray(1) },
      { ...mlp, rowEnd: 0 },
      { ...mlp, layer: -1 },
      { ...head, weight: head.weight.subarray(1) },
      { ...head, dModel: 0 },
    ];
    for (const w of broken) assert.throws(() => checkExchangeShard(w), { name: 'ExchangeShardInvalidError' });
  });
});

describe('placeShardInKernelMemory', () => {
  it('copies the matrices into kernel memory with the same values, and frees them', () => {
    for (const s of specs.slice(0, 2)) {
      const w = cutExchangeShard(params, s, 0, [0, 2]);
      const placed = placeShardInKernelMemory(w);
      assert.deepEqual(placed.weights, w);
      const big =
        placed.weights.kind === 'attn'
          ? placed.weights.qkv
          : placed.weights.kind === 'mlp'
            ? placed.weights.fc
            : placed.weights.weight;
      assert.equal(isKernelResident(big), wasmAvailable);
      placed.free();
    }
  });

  it('leaves matrices that already live in kernel memory in place', () => {
    const resident = GptParams.init(config, 9, 'kernel');
    try {
      const w = cutExchangeShard(resident, spec('h.0.mlp'), 0, [0, 5]);
      const placed = placeShardInKernelMemory(w);
      if (w.kind === 'mlp' && placed.weights.kind === 'mlp') assert.equal(placed.weights.fc, w.fc);
      placed.free();
    } finally {
      resident.dispose();
    }
  });
});

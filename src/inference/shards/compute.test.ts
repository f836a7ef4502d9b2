import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GptParams, makeGptConfig, Rng } from '../../model/index.ts';
import { gptExchanges } from '../exchange.ts';
import { attnPartial, headLogits, mlpPartial, sumPartials } from './compute.ts';
import { HeadGroupCache } from './kvCache.ts';
import { cutExchangeShard } from './weights.ts';

const config = makeGptConfig({ vocabSize: 29, contextLength: 8, dModel: 12, nHeads: 3, nLayers: 1 });
const params = GptParams.init(config, 4);
const [attnSpec, mlpSpec, headSpec] = gptExchanges(config);
const C = config.dModel;
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function rows(T: number, seed: number): Float32Array {
  const x = new Float32Array(T * C);
  new Rng(seed).fillNormal(x, 1);
  return x;
}

describe('sumPartials', () => {
  it('adds in shard order, each add rounded to f32, then the bias of each column', () => {
    const e = 2 ** -24;
    const out = new Float32Array(2);
    sumPartials(
      [new Float32Array([1, e]), new Float32Array([e, e]), new Float32Array([e, 1])],
      new Float32Array([0, 0]),
      out,
    );
    assert.deepEqual(Array.from(out), [1, 1 + 2 * e]); // (1 + e) + e rounds to 1 twice; (e + e) + 1 does not
    const withBias = new Float32Array(4);
    sumPartials([new Float32Array([1, 2, 3, 4])], new Float32Array([10, 20]), withBias);
    assert.deepEqual(Array.from(withBias), [11, 22, 13, 24]);
  });

  it('refuses partials that do not fit out with ExchangeAnswerInvalidError', () => {
    const out = new Float32Array(4);
    assert.throws(() => sumPartials([], null, out), { name: 'ExchangeAnswerInvalidError' });
    assert.throws(() => sumPartials([new Float32Array(4), new Float32Array(3)], null, out), {
      name: 'ExchangeAnswerInvalidError',
    });
    assert.throws(() => sumPartials([new Float32Array(4)], new Float32Array(3), out), {
      name: 'ExchangeAnswerInvalidError',
    });
  });
});

describe('attnPartial', () => {
  it('answers rows outFrom.. with the bits of the full answer, and fills the cache with every row', () => {
    const w = cutExchangeShard(params, attnSpec!, 0, [1, 3]);
    if (w.kind !== 'attn') throw new Error('not attn');
    const x = rows(5, 1);
    const full = new HeadGroupCache(2, 4, 8);
    const tail = new HeadGroupCache(2, 4, 8);
    const all = attnPartial(w, full, x, 5, { keepFrom: 0, keepTo: 0 }, 0);
    const last2 = attnPartial(w, tail, x, 5, { keepFrom: 0, keepTo: 0 }, 3);
    assert.deepEqual(bits(last2), bits(all.subarray(3 * C)));
    assert.equal(tail.length, 5);
    const next = rows(1, 2);
    assert.deepEqual(
      bits(attnPartial(w, tail, next, 1, { keepFrom: 0, keepTo: 5 }, 0)),
      bits(attnPartial(w, full, next, 1, { keepFrom: 0, keepTo: 5 }, 0)),
    );
    assert.deepEqual(attnPartial(w, tail, next, 1, { keepFrom: 0, keepTo: 5 }, 1), new Float32Array(0));
  });

  it('throws KvCacheFullError or CacheWindowInvalidError before touching the cache', () => {
    const w = cutExchangeShard(params, attnSpec!, 0, [0, 3]);
    if (w.kind !== 'attn') throw new Error('not attn');
    const cache = new HeadGroupCache(3, 4, 8);
    attnPartial(w, cache, rows(6, 3), 6, { keepFrom: 0, keepTo: 0 }, 0);
    assert.throws(() => attnPartial(w, cache, rows(3, 4), 3, { keepFrom: 0, keepTo: 6 }, 0), {
      name: 'KvCacheFullError',
    });
    assert.throws(() => attnPartial(w, cache, rows(1, 4), 1, { keepFrom: 0, keepTo: 7 }, 0), {
      name: 'CacheWindowInvalidError',
    });
    assert.throws(
      () => attnPartial(w, new HeadGroupCache(2, 4, 8), rows(1, 4), 1, { keepFrom: 0, keepTo: 0 }, 0),
      {
        name: 'ExchangeRequestInvalidError',
      },
    );
    assert.equal(cache.length, 6);
    attnPartial(w, cache, rows(3, 4), 3, { keepFrom: 1, keepTo: 6 }, 0);
    assert.equal(cache.length, 8);
  });
});

describe('mlpPartial and headLogits', () => {
  it('refuses input that is not T rows of dModel with ExchangeRequestInvalidError', () => {
    const mlp = cutExchangeShard(params, mlpSpec!, 0, [0, 48]);
    const head = cutExchangeShard(params, headSpec!, 0, [0, 29]);
    if (mlp.kind !== 'mlp' || head.kind !== 'lm_head') throw new Error('unexpected kinds');
    assert.equal(mlpPartial(mlp, rows(2, 5), 2).length, 2 * C);
    assert.equal(headLogits(head, rows(2, 5), 2).length, 2 * 29);
    assert.throws(() => mlpPartial(mlp, rows(2, 5), 3), { name: 'ExchangeRequestInvalidError' });
    assert.throws(() => headLogits(head, rows(2, 5), 0), { name: 'ExchangeRequestInvalidError' });
  });
});

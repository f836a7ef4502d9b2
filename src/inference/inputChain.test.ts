import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../model/index.ts';
import { AttnHistory } from './attnHistory.ts';
import type { CacheWindow } from './exchange.ts';
import { InputChain } from './inputChain.ts';

const W = 4;

/** `n` rows of width W, distinct per seed. */
function rows(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * W);
  new Rng(seed).fillNormal(x, 1);
  return x;
}

/** A chain built from scratch over `x` (what a host joining mid-session builds from the whole window). */
function fromScratch(x: Float32Array): InputChain {
  const chain = new InputChain();
  chain.applyWindow({ keepFrom: 0, keepTo: 0 });
  chain.append(x, x.length / W, W);
  return chain;
}

/**
 * A session's window operations: a prompt, two appends, a speculative
 * rollback, a slide that drops the oldest rows, then more appends and a
 * slide that keeps nothing but the newest row.
 */
const steps: Array<{ window: (length: number) => CacheWindow; n: number }> = [
  { window: () => ({ keepFrom: 0, keepTo: 0 }), n: 5 },
  { window: (l) => ({ keepFrom: 0, keepTo: l }), n: 1 },
  { window: (l) => ({ keepFrom: 0, keepTo: l }), n: 3 },
  { window: () => ({ keepFrom: 0, keepTo: 7 }), n: 2 }, // rollback: 2 of 3 draft rows rejected
  { window: (l) => ({ keepFrom: l - 4, keepTo: l }), n: 1 }, // slide: keep the newest 4
  { window: (l) => ({ keepFrom: 0, keepTo: l }), n: 2 },
  { window: () => ({ keepFrom: 1, keepTo: 3 }), n: 1 }, // a slide that also rolls back
  { window: (l) => ({ keepFrom: l - 1, keepTo: l }), n: 2 },
];

describe('InputChain', () => {
  it('equals a chain built from scratch over the kept rows after every window, rollback and slide', () => {
    const chain = new InputChain();
    const history = new AttnHistory(W);
    let kept = new Float32Array(0); // the window's rows, kept by hand
    steps.forEach(({ window: of, n }, s) => {
      const window = of(chain.length);
      const x = rows(n, s + 1);
      chain.applyWindow(window);
      chain.append(x, n, W);
      const digest = history.advance(window, x, n, 1);
      const next = new Float32Array((window.keepTo - window.keepFrom + n) * W);
      next.set(kept.subarray(window.keepFrom * W, window.keepTo * W));
      next.set(x, (window.keepTo - window.keepFrom) * W);
      kept = next;
      const scratch = fromScratch(kept);
      assert.equal(chain.length, kept.length / W, `step ${s}`);
      for (const outRows of [1, n, chain.length]) {
        assert.equal(chain.digest(outRows), scratch.digest(outRows), `step ${s}, ${outRows} rows out`);
      }
      // The gateway's copy keeps the same rows and names the same digest.
      assert.deepEqual(history.rows, kept, `step ${s}`);
      assert.equal(history.length, chain.length);
      assert.equal(digest, chain.digest(1));
    });
  });

  it('binds the number of output rows, every row and the order of the rows', () => {
    const x = rows(3, 9);
    const chain = fromScratch(x);
    assert.notEqual(chain.digest(1), chain.digest(2));
    assert.notEqual(chain.digest(0), chain.digest(1));
    const changed = x.slice();
    changed[0] = Math.fround(changed[0]! + 1); // only the first (oldest) row
    assert.notEqual(fromScratch(changed).digest(1), chain.digest(1));
    const swapped = new Float32Array(3 * W);
    swapped.set(x.subarray(W, 2 * W), 0);
    swapped.set(x.subarray(0, W), W);
    swapped.set(x.subarray(2 * W), 2 * W);
    assert.notEqual(fromScratch(swapped).digest(1), chain.digest(1));
    // Rows given in one batch or one by one chain the same.
    const oneByOne = new InputChain();
    for (let t = 0; t < 3; t++) oneByOne.append(x.subarray(t * W, (t + 1) * W), 1, W);
    assert.equal(oneByOne.digest(2), chain.digest(2));
    // An empty window has a digest of its own.
    assert.notEqual(new InputChain().digest(1), chain.digest(1));
    assert.equal(new InputChain().digest(1), new InputChain().digest(1));
  });

  it('re-chains the kept rows on a slide: the history before the window is no longer bound', () => {
    const a = rows(4, 1);
    const b = a.slice();
    b[0] = 42; // differs only in row 0, which the slide drops
    const ca = fromScratch(a);
    const cb = fromScratch(b);
    assert.notEqual(ca.digest(1), cb.digest(1));
    ca.applyWindow({ keepFrom: 1, keepTo: 4 });
    cb.applyWindow({ keepFrom: 1, keepTo: 4 });
    assert.equal(ca.digest(1), cb.digest(1));
    assert.equal(ca.digest(1), fromScratch(a.subarray(W)).digest(1));
  });

  it('refuses a window outside the chain with CacheWindowInvalidError and changes nothing', () => {
    const chain = fromScratch(rows(3, 2));
    const before = chain.digest(1);
    for (const window of [
      { keepFrom: 0, keepTo: 4 },
      { keepFrom: 2, keepTo: 1 },
      { keepFrom: -1, keepTo: 2 },
      { keepFrom: 0, keepTo: 1.5 },
    ]) {
      assert.throws(() => chain.applyWindow(window), { name: 'CacheWindowInvalidError' });
      assert.throws(() => new AttnHistory(W).advance(window, rows(1, 3), 1, 1), {
        name: 'CacheWindowInvalidError',
      });
    }
    assert.equal(chain.length, 3);
    assert.equal(chain.digest(1), before);
  });
});

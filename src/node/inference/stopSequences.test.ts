import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StopSequenceFilter } from './stopSequences.ts';

/**
 * The reference: after each piece, if the text so far contains a stop
 * sequence, the answer is that text cut at its earliest one.
 */
function cutAtStop(pieces: readonly string[], stops: readonly string[]): { out: string; stopped: boolean } {
  let text = '';
  for (const p of pieces) {
    text += p;
    const hits = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    if (hits.length > 0) return { out: text.slice(0, Math.min(...hits)), stopped: true };
  }
  return { out: text, stopped: false };
}

function run(pieces: readonly string[], stops: readonly string[]): { out: string; stopped: boolean } {
  const filter = new StopSequenceFilter(stops);
  let out = '';
  for (const p of pieces) {
    const r = filter.push(p);
    out += r.text;
    if (r.stopped) return { out, stopped: true };
  }
  return { out: out + filter.flush(), stopped: false };
}

describe('StopSequenceFilter', () => {
  it('cuts at a stop sequence split over pieces and releases nothing after it', () => {
    const filter = new StopSequenceFilter(['\n\n', 'END']);
    assert.deepEqual(filter.push('hello E'), { text: 'hello ', stopped: false });
    assert.deepEqual(filter.push('N'), { text: '', stopped: false });
    assert.deepEqual(filter.push('Dx'), { text: '', stopped: true });
    assert.equal(filter.stopped, true);
    assert.deepEqual(filter.push('more'), { text: '', stopped: true });
    assert.equal(filter.flush(), '');
  });

  it('releases held-back text when the stop sequence does not complete', () => {
    const filter = new StopSequenceFilter(['abc']);
    assert.deepEqual(filter.push('xab'), { text: 'x', stopped: false });
    assert.deepEqual(filter.push('d'), { text: 'abd', stopped: false });
    assert.deepEqual(filter.push('a'), { text: '', stopped: false });
    assert.equal(filter.flush(), 'a');
  });

  it('picks the earliest of overlapping stop sequences', () => {
    assert.deepEqual(run(['a', 'b'], ['b', 'ab']), { out: '', stopped: true });
    assert.deepEqual(run(['xyz'], ['z', 'yz']), { out: 'x', stopped: true });
    // A stop that completes first wins over one that would have started earlier.
    assert.deepEqual(run(['a', 'c', 'b'], ['acb', 'c']), { out: 'a', stopped: true });
  });

  it('without stop sequences releases everything at once', () => {
    const filter = new StopSequenceFilter([]);
    assert.deepEqual(filter.push('abc'), { text: 'abc', stopped: false });
    assert.equal(filter.flush(), '');
  });

  it('for any pieces, releases exactly the text before the first stop sequence to appear', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '\n');
    const str = (min: number, max: number) =>
      fc.array(alphabet, { minLength: min, maxLength: max }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(
        fc.array(str(0, 5), { maxLength: 10 }),
        fc.array(str(1, 4), { maxLength: 4 }),
        (pieces, stops) => {
          assert.deepEqual(run(pieces, stops), cutAtStop(pieces, stops));
        },
      ),
      { numRuns: 500 },
    );
  });
});

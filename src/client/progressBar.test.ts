import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProgressBar, type ProgressSink, renderProgress } from './progressBar.ts';

function recorder(isTTY: boolean): ProgressSink & { out: string[] } {
  const out: string[] = [];
  return { isTTY, out, write: (text) => out.push(text) };
}

describe('renderProgress', () => {
  it('draws a bar whose filled part is proportional to done/total', () => {
    assert.equal(renderProgress('train', 0, 4), `train      [${'░'.repeat(24)}]     0/4`);
    assert.equal(
      renderProgress('train', 2, 4, 'x'),
      `train      [${'█'.repeat(12)}${'░'.repeat(12)}]     2/4  x`,
    );
    assert.equal(renderProgress('train', 4, 4), `train      [${'█'.repeat(24)}]     4/4`);
  });

  it('always has a 24-character bar, whatever the counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 100 }), fc.integer({ min: -5, max: 100 }), (done, total) => {
        const bar = /\[([█░]*)\]/.exec(renderProgress('x', done, total))?.[1] ?? '';
        assert.equal(bar.length, 24);
      }),
    );
  });
});

describe('ProgressBar', () => {
  it('redraws one line in place on a terminal and ends it on finish', () => {
    const sink = recorder(true);
    const bar = new ProgressBar(sink, 'train');
    bar.update(1, 4);
    bar.update(1, 4);
    bar.update(2, 4);
    bar.finish(4, 4, 'done');
    assert.equal(sink.out.length, 4);
    assert.ok(sink.out.slice(0, 3).every((s) => s.startsWith('\r') && s.endsWith('\x1b[K')));
    assert.equal(sink.out[3], '\n');
  });

  it('writes a plain line per change when not on a terminal', () => {
    const sink = recorder(false);
    const bar = new ProgressBar(sink, 'train');
    bar.update(1, 4);
    bar.update(1, 4);
    bar.finish(4, 4);
    assert.deepEqual(sink.out, [`${renderProgress('train', 1, 4)}\n`, `${renderProgress('train', 4, 4)}\n`]);
  });
});

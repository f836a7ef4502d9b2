import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { renderLossChart } from './lossChart.ts';

const circles = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m): [number, number] => [
    Number(m[1]),
    Number(m[2]),
  ]);

describe('renderLossChart', () => {
  it('draws one dot per version, lower loss lower on the chart, left to right', () => {
    const svg = renderLossChart([
      { label: 'v0', value: 3.2 },
      { label: 'v1', value: 3.0 },
      { label: 'v2', value: 3.1 },
    ]);
    const [[x0, y0], [x1, y1], [x2, y2]] = circles(svg) as [
      [number, number],
      [number, number],
      [number, number],
    ];
    assert.equal(circles(svg).length, 3);
    assert.ok(x0 < x1 && x1 < x2);
    // SVG y grows downwards: the highest loss is nearest the top.
    assert.ok(y0 < y2 && y2 < y1);
    assert.match(svg, /<title>v1: 3\.000 bits\/token<\/title>/);
    assert.match(svg, />3\.20<\/text>.*>3\.00<\/text>/s);
  });

  it('says when there is nothing to draw, and skips non-finite values', () => {
    assert.match(renderLossChart([]), /no held-out loss measured yet/);
    assert.equal(
      circles(
        renderLossChart([
          { label: 'v0', value: Number.NaN },
          { label: 'v1', value: 2 },
        ]),
      ).length,
      1,
    );
  });

  it('keeps every dot inside the chart for any finite values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12 }),
        (values) => {
          const dots = circles(renderLossChart(values.map((value, i) => ({ label: `v${i}`, value }))));
          assert.equal(dots.length, values.length);
          for (const [x, y] of dots) assert.ok(x >= 0 && x <= 360 && y >= 0 && y <= 160, `${x},${y}`);
        },
      ),
    );
  });
});

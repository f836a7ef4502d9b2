import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { renderLossChart, valueAxis } from './lossChart.ts';

/** The y-axis labels of a chart, top first. */
const tickLabels = (svg: string) => [...svg.matchAll(/class="tick">([^<]*)</g)].map((m) => m[1]!);

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
    assert.deepEqual(tickLabels(svg), ['3.3', '3.2', '3.1', '3.0', '2.9']);
  });

  it('draws a flat series flat, mid-chart, on distinct padded ticks', () => {
    const svg = renderLossChart([
      { label: 'v0', value: 1.47 },
      { label: 'v1', value: 1.47 },
    ]);
    const [[, y0], [, y1]] = circles(svg) as [[number, number], [number, number]];
    assert.equal(y0, y1);
    assert.ok(y0 > 12 + 20 && y0 < 160 - 28 - 20, `y ${y0} is at an edge`);
    const labels = tickLabels(svg);
    assert.ok(labels.length >= 3, labels.join());
    assert.equal(new Set(labels).size, labels.length, labels.join());
    assert.ok(Number(labels[0]) > 1.47 && Number(labels.at(-1)) < 1.47, labels.join());
  });

  it('draws a nearly flat series (1.4703 → 1.4698) nearly flat, not as a full-height fall', () => {
    const svg = renderLossChart([
      { label: 'v0', value: 1.4703 },
      { label: 'v1', value: 1.4698 },
    ]);
    const [[, y0], [, y1]] = circles(svg) as [[number, number], [number, number]];
    assert.ok(y1 > y0 && y1 - y0 < 2, `${y0} → ${y1}`);
    assert.equal(new Set(tickLabels(svg)).size, tickLabels(svg).length);
  });

  it('puts any finite values inside round, distinct ticks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12 }),
        (values) => {
          const { lo, hi, ticks, decimals } = valueAxis(values);
          assert.ok(lo <= Math.min(...values) && hi >= Math.max(...values) && lo < hi);
          assert.ok(ticks.length >= 2 && ticks.length <= 7, String(ticks.length));
          const labels = ticks.map((t) => t.toFixed(decimals));
          assert.equal(new Set(labels).size, labels.length, labels.join());
        },
      ),
    );
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

import { escapeHtml } from './html.ts';

/** One point of a loss chart: a version's label and its held-out loss. */
export type LossPoint = { label: string; value: number };

/** The y axis of a chart: its range, the values labelled on it (top first) and their decimals. */
export type ValueAxis = { lo: number; hi: number; ticks: number[]; decimals: number };

const W = 360;
const H = 160;
const LEFT = 44;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;
/** The smallest span of the y axis, relative to the values' magnitude: a flat or nearly flat series draws flat. */
const MIN_RELATIVE_SPAN = 0.05;
/** The smallest span of the y axis around values near zero. */
const MIN_SPAN = 1e-3;
/** Intervals between ticks the axis aims at (fewer with round steps). */
const TICK_INTERVALS = 4;

/**
 * The y axis of `values` (finite, at least one): a range around them padded
 * by a tenth of their spread on each side and at least 5% of their magnitude
 * tall (so a series that changes by less than that stays about flat instead
 * of filling the chart), widened to round ticks 1, 2 or 5 × 10ⁿ apart, each
 * labelled with the decimals that tell it from its neighbours.
 */
export function valueAxis(values: readonly number[]): ValueAxis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mid = (min + max) / 2;
  const span = Math.max((max - min) * 1.2, Math.abs(mid) * MIN_RELATIVE_SPAN, MIN_SPAN);
  const step = roundStep(span / TICK_INTERVALS);
  const first = Math.floor((mid - span / 2) / step);
  const last = Math.ceil((mid + span / 2) / step);
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => (last - i) * step);
  return {
    lo: first * step,
    hi: last * step,
    ticks,
    decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)),
  };
}

/** The smallest of 1, 2, 5 × 10ⁿ at least `raw`. */
function roundStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw * (1 - 1e-9)) ?? 10) * power;
}

/**
 * A line chart (inline SVG) of held-out loss over a model's versions, oldest
 * left: one dot per measured version with its value in a tooltip, the y axis
 * on round ticks around the values (`valueAxis`). Non-finite values are left out.
 */
export function renderLossChart(points: readonly LossPoint[], unit = 'bits/token'): string {
  const shown = points.filter((p) => Number.isFinite(p.value));
  if (shown.length === 0) return '<p class="empty">no held-out loss measured yet</p>';
  const { lo, hi, ticks, decimals } = valueAxis(shown.map((p) => p.value));
  const x = (i: number) =>
    shown.length === 1 ? LEFT + (W - LEFT - RIGHT) / 2 : LEFT + (i * (W - LEFT - RIGHT)) / (shown.length - 1);
  const y = (v: number) => TOP + ((hi - v) * (H - TOP - BOTTOM)) / (hi - lo);
  const coords = shown.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`);
  const dots = shown
    .map(
      (p, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5"><title>${escapeHtml(`${p.label}: ${p.value.toFixed(3)} ${unit}`)}</title></circle>` +
        `<text x="${x(i).toFixed(1)}" y="${H - 10}" text-anchor="middle">${escapeHtml(p.label)}</text>`,
    )
    .join('');
  const axis = `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${H - BOTTOM}" class="axis"/><line x1="${LEFT}" y1="${H - BOTTOM}" x2="${W - RIGHT}" y2="${H - BOTTOM}" class="axis"/>`;
  const yTicks = ticks
    .map((t) => {
      const ty = y(t).toFixed(1);
      return `<line x1="${LEFT}" y1="${ty}" x2="${W - RIGHT}" y2="${ty}" class="grid"/><text x="${LEFT - 4}" y="${(y(t) + 3.5).toFixed(1)}" text-anchor="end" class="tick">${t.toFixed(decimals)}</text>`;
    })
    .join('');
  return `<svg class="loss-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`held-out loss in ${unit} per version`)}">${yTicks}${axis}<polyline points="${coords.join(' ')}" class="line"/>${dots}</svg>`;
}

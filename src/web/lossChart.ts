import { escapeHtml } from './html.ts';

/** One point of a loss chart: a version's label and its held-out loss. */
export type LossPoint = { label: string; value: number };

const W = 360;
const H = 160;
const LEFT = 44;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;

/**
 * A line chart (inline SVG) of held-out loss over a model's versions, oldest
 * left: one dot per measured version with its value in a tooltip, the y axis
 * labelled with the lowest and highest values. Non-finite values are left out.
 */
export function renderLossChart(points: readonly LossPoint[], unit = 'bits/token'): string {
  const shown = points.filter((p) => Number.isFinite(p.value));
  if (shown.length === 0) return '<p class="empty">no held-out loss measured yet</p>';
  const values = shown.map((p) => p.value);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-6) {
    lo -= 0.1;
    hi += 0.1;
  }
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
  const yLabels = `<text x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${hi.toFixed(2)}</text><text x="${LEFT - 4}" y="${H - BOTTOM}" text-anchor="end">${lo.toFixed(2)}</text>`;
  return `<svg class="loss-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`held-out loss in ${unit} per version`)}">${axis}${yLabels}<polyline points="${coords.join(' ')}" class="line"/>${dots}</svg>`;
}

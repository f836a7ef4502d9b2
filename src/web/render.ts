import type { DashboardSnapshot } from './snapshot.ts';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const short = (hex: string, n = 10) => (hex.length > n + 2 ? `${hex.slice(0, n)}…` : hex);
const ccd = (wei: string) => {
  const v = BigInt(wei);
  const whole = v / 10n ** 18n;
  const frac = ((v % 10n ** 18n) / 10n ** 14n).toString().padStart(4, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}`;
};

function table(header: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  // Cells are HTML built by the callers from escaped values.
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The status of each committee member of a task: member, committed, revealed (digest), paid. */
function memberCells(t: DashboardSnapshot['tasks'][number]): string {
  const revealed = new Map(t.reveals.map((r) => [r.participant, r.digest]));
  const paid = new Map(t.payouts.map((p) => [p.account, p.amount]));
  return t.committee
    .map((m) => {
      const digest = revealed.get(m);
      const state = digest
        ? `revealed ${short(digest)}${digest === t.winner ? ' ✓' : ' ✗'}`
        : t.commits.includes(m)
          ? 'committed'
          : 'member';
      const payout = paid.get(m);
      return `<div class="member">${escapeHtml(short(m, 8))} ${escapeHtml(state)}${payout ? ` <b>+${escapeHtml(ccd(payout))}</b>` : ''}</div>`;
    })
    .join('');
}

/** Renders a snapshot as the dashboard's HTML sections (pure: also runs in Node for tests). */
export function renderSnapshot(s: DashboardSnapshot): string {
  const node = `<p>node <code>${escapeHtml(s.node.address)}</code> · peer <code>${escapeHtml(short(s.node.peerId, 16))}</code> · chain ${s.node.chainId} at block ${escapeHtml(s.node.chainHead)}</p>`;
  const peers = table(
    ['peer', 'address'],
    s.peers.map((p) => [`<code>${escapeHtml(p.peerId)}</code>`, escapeHtml(p.addrs.join(' '))]),
    'no peers connected',
  );
  const holdings = table(
    ['address', 'balance (CCD)', 'stake (CCD)', 'shares'],
    s.holdings.map((h) => [
      `<code>${escapeHtml(h.address)}</code>`,
      escapeHtml(ccd(h.balance)),
      escapeHtml(ccd(h.stake)),
      escapeHtml(h.shares),
    ]),
    'no accounts yet',
  );
  const tasks = table(
    ['id', 'kind', 'state', 'commits', 'reveals', 'committee', 'winner'],
    s.tasks.map((t) => [
      escapeHtml(t.id),
      escapeHtml(t.kindName ?? short(t.kind)),
      `<span class="state ${escapeHtml(t.state)}">${escapeHtml(t.state)}</span>`,
      `${t.commits.length}/${t.committee.length}`,
      `${t.reveals.length}/${t.committee.length}`,
      memberCells(t),
      t.winner ? `<code>${escapeHtml(short(t.winner))}</code>` : '-',
    ]),
    'no tasks yet',
  );
  return `<section id="node"><h2>Node</h2>${node}</section><section id="peers"><h2>Peers (${s.peers.length})</h2>${peers}</section><section id="holdings"><h2>Stake and shares</h2>${holdings}</section><section id="tasks"><h2>Tasks</h2>${tasks}</section>`;
}

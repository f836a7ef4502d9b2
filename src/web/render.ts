import { escapeHtml, formatTokens, shortHex, table } from './html.ts';
import { renderLossChart } from './lossChart.ts';
import type { ServedModelInfo } from './servedModels.ts';
import type { DashboardModel, DashboardSnapshot, DashboardVersion } from './snapshot.ts';

/** The status of each committee member of a task: member, committed, revealed (digest), paid. */
function memberCells(t: DashboardSnapshot['tasks'][number]): string {
  const revealed = new Map(t.reveals.map((r) => [r.participant, r.digest]));
  const paid = new Map(t.payouts.map((p) => [p.account, p.amount]));
  return t.committee
    .map((m) => {
      const digest = revealed.get(m);
      const state = digest
        ? `revealed ${shortHex(digest)}${digest === t.winner ? ' ✓' : ' ✗'}`
        : t.commits.includes(m)
          ? 'committed'
          : 'member';
      const payout = paid.get(m);
      return `<div class="member">${escapeHtml(shortHex(m, 8))} ${escapeHtml(state)}${payout ? ` <b>+${escapeHtml(formatTokens(payout))}</b>` : ''}</div>`;
    })
    .join('');
}

/** Health line, the nodes with their stake, and the connected peers. */
function networkSection(s: DashboardSnapshot): string {
  const node = `<p>node <code>${escapeHtml(s.node.address)}</code> · peer <code>${escapeHtml(shortHex(s.node.peerId, 16))}</code> · chain ${s.node.chainId} at block ${escapeHtml(s.node.chainHead)} · <span class="ok">healthy</span></p>`;
  const nodes = table(
    ['node', 'stake (CCD)', 'status'],
    s.holdings
      .filter((h) => (h.active ?? BigInt(h.stake) > 0n) || h.address === s.node.address)
      .map((h) => [
        `<code>${escapeHtml(h.address)}</code>${h.address === s.node.address ? ' <b>(this node)</b>' : ''}`,
        escapeHtml(formatTokens(h.stake)),
        h.active === null
          ? '-'
          : h.active
            ? '<span class="ok">active</span>'
            : '<span class="empty">inactive</span>',
      ]),
    'no staked nodes yet',
  );
  // One row per peer with every address (a node lists each once; merged again for any other source),
  // never the node itself.
  const byPeer = new Map<string, { addrs: Set<string>; node: boolean }>();
  for (const p of s.peers) {
    if (p.peerId === s.node.peerId) continue;
    const seen = byPeer.get(p.peerId);
    byPeer.set(p.peerId, {
      addrs: new Set([...(seen?.addrs ?? []), ...p.addrs]),
      node: p.node || !!seen?.node,
    });
  }
  const peers = table(
    ['peer', 'kind', 'addresses'],
    [...byPeer].map(([id, p]) => [
      `<code>${escapeHtml(id)}</code>`,
      p.node ? 'node' : 'gateway or client',
      escapeHtml([...p.addrs].join(' ')),
    ]),
    'no peers connected',
  );
  const nodePeers = [...byPeer.values()].filter((p) => p.node).length;
  const others = byPeer.size - nodePeers;
  const peerCount = `${nodePeers} node${nodePeers === 1 ? '' : 's'} connected${others > 0 ? `, ${others} other` : ''}`;
  const staked = s.holdings.filter((h) => h.active ?? BigInt(h.stake) > 0n).length;
  return `<section id="network"><h2>Network</h2>${node}<h3>Nodes (${staked} staked)</h3>${nodes}<h3>Peers (${peerCount})</h3>${peers}</section>`;
}

function tasksSection(s: DashboardSnapshot): string {
  const tasks = table(
    ['id', 'kind', 'state', 'commits', 'reveals', 'committee, reveals and payouts', 'winner'],
    s.tasks.map((t) => [
      escapeHtml(t.id),
      escapeHtml(t.kindName ?? shortHex(t.kind)),
      `<span class="state ${escapeHtml(t.state)}" data-task="${escapeHtml(t.id)}">${escapeHtml(t.state)}</span>`,
      `<span data-commits="${escapeHtml(t.id)}">${t.commits.length}/${t.committee.length}</span>`,
      `<span data-reveals="${escapeHtml(t.id)}">${t.reveals.length}/${t.committee.length}</span>`,
      memberCells(t),
      t.winner ? `<code>${escapeHtml(shortHex(t.winner))}</code>` : '-',
    ]),
    'no tasks yet',
  );
  return `<section id="tasks"><h2>Tasks</h2>${tasks}</section>`;
}

function lossCell(v: DashboardVersion): string {
  const h = v.heldOut;
  if (h.state === 'measured')
    return `${h.bitsPerToken.toFixed(3)} <span class="empty">(${h.tokens} tokens)</span>`;
  if (h.state === 'pending') return '<span class="empty">measuring…</span>';
  return `<span class="empty">${escapeHtml(h.reason)}</span>`;
}

function servedCell(m: DashboardModel, v: DashboardVersion, served: readonly ServedModelInfo[]): string {
  const s = served.find((x) => x.modelId === m.modelId && x.versionIndex === v.index);
  if (!s) return '-';
  const detail =
    s.state === 'ready'
      ? ` · ${s.hosts.length} hosts, ${s.replicas} per shard, ${escapeHtml(s.creditsPerToken)} credits/token`
      : s.error
        ? ` · ${escapeHtml(s.error)}`
        : '';
  return `<span class="served ${escapeHtml(s.state)}">${escapeHtml(s.state)}</span>${detail}`;
}

function modelBlock(m: DashboardModel, served: readonly ServedModelInfo[]): string {
  const versions = table(
    ['version', 'digest', 'from task', 'held-out bits/token', 'served here'],
    m.versions.map((v) => [
      `v${escapeHtml(v.index)}`,
      `<code title="${escapeHtml(v.digest)}">${escapeHtml(shortHex(v.digest))}</code>`,
      v.taskId === '0' ? 'genesis' : escapeHtml(v.taskId),
      lossCell(v),
      servedCell(m, v, served),
    ]),
    'no versions',
  );
  const chart = renderLossChart(
    m.versions.flatMap((v) =>
      v.heldOut.state === 'measured' ? [{ label: `v${v.index}`, value: v.heldOut.bitsPerToken }] : [],
    ),
  );
  return `<div class="model" data-model="${escapeHtml(m.modelId)}"><h3>${escapeHtml(m.name)} <span class="empty">#${escapeHtml(m.modelId)} · owner ${escapeHtml(shortHex(m.owner, 8))}</span></h3><div class="model-body">${versions}${chart}</div></div>`;
}

function modelsSection(s: DashboardSnapshot, served: readonly ServedModelInfo[]): string {
  const body =
    s.models.length === 0
      ? '<p class="empty">no models registered yet</p>'
      : s.models.map((m) => modelBlock(m, served)).join('');
  return `<section id="models"><h2>Models</h2>${body}<p class="note">Loss is measured by this node on held-out State of the Union text (every tenth speech, never trained on); train tasks do not record their training loss.</p></section>`;
}

function ownershipSection(s: DashboardSnapshot): string {
  const rows = table(
    ['address', 'balance (CCD)', 'ownership shares', 'query credits'],
    s.holdings.map((h) => [
      `<code>${escapeHtml(h.address)}</code>`,
      escapeHtml(formatTokens(h.balance)),
      escapeHtml(h.shares),
      h.credits === null ? '-' : escapeHtml(h.credits),
    ]),
    'no accounts yet',
  );
  return `<section id="ownership"><h2>Ownership and credits</h2>${rows}</section>`;
}

/**
 * Renders a snapshot as the dashboard's HTML sections: network, tasks,
 * models (with the versions this node serves, from `GET /v1/models`) and
 * ownership. Pure: also runs in Node for tests.
 */
export function renderSnapshot(s: DashboardSnapshot, served: readonly ServedModelInfo[] = []): string {
  return networkSection(s) + tasksSection(s) + modelsSection(s, served) + ownershipSection(s);
}

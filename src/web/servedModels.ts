import type { ServedModelStatus } from '../node/inference/types.ts';
import { escapeHtml } from './html.ts';

/** A model version as `GET /v1/models` lists it: its name, serving status, price and gateway. */
export type ServedModelInfo = ServedModelStatus & { id: string; creditsPerToken: string; gateway: string };

/**
 * Reads the body of `GET /v1/models` (`{ object: 'list', data: [{ id, concord }] }`),
 * keeping the entries that carry the node's `concord` status; anything else gives [].
 */
export function parseModelList(body: unknown): ServedModelInfo[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { data?: unknown }).data))
    return [];
  const out: ServedModelInfo[] = [];
  for (const entry of (body as { data: unknown[] }).data) {
    const e = entry as { id?: unknown; concord?: Partial<ServedModelInfo> } | null;
    const c = e?.concord;
    if (typeof e?.id !== 'string' || typeof c !== 'object' || c === null) continue;
    if (typeof c.modelId !== 'string' || typeof c.versionIndex !== 'string' || typeof c.state !== 'string')
      continue;
    out.push({
      ...(c as ServedModelStatus),
      id: e.id,
      hosts: Array.isArray(c.hosts) ? c.hosts : [],
      creditsPerToken: String(c.creditsPerToken ?? ''),
      gateway: String(c.gateway ?? ''),
    });
  }
  return out;
}

/** The playground's model choices: every listed version, ready ones enabled, the others labelled with their state. */
export function modelOptionsHtml(served: readonly ServedModelInfo[]): string {
  if (served.length === 0) return '<option value="">no model served yet</option>';
  return served
    .map((m) => {
      const label = m.state === 'ready' ? m.id : `${m.id} (${m.state})`;
      return `<option value="${escapeHtml(m.id)}"${m.state === 'ready' ? '' : ' disabled'}>${escapeHtml(label)}</option>`;
    })
    .join('');
}

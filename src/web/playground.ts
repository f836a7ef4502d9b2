// The inference playground (browser only): posts the prompt to the node's
// `POST /v1/completions` with `stream: true`, reads the server-sent events
// from the response body as they arrive, and shows each token with the hosts
// that agreed on it, then the settlement line. The API token is read from
// the field the user pasted it into, sent as a Bearer header, never stored.

import { readSseData } from '../node/inference/sse.ts';
import {
  describeRefusal,
  parseStreamEvent,
  settlementLine,
  tokenHostsRowHtml,
  tokenHtml,
} from './completionStream.ts';
import { element, type FormElement } from './dom.ts';
import { modelOptionsHtml, type ServedModelInfo } from './servedModels.ts';

/** Optional integer/number fields of the form: omitted from the request when empty. */
function numberField(id: string, parse: (v: string) => number): number | undefined {
  const raw = element<FormElement>(id).value.trim();
  if (raw === '') return undefined;
  const n = parse(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The request body from the form. */
function requestBody(): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: element<FormElement>('pg-model').value,
    prompt: element<FormElement>('pg-prompt').value,
    stream: true,
  };
  const fields: [string, string, (v: string) => number][] = [
    ['max_tokens', 'pg-max', (v) => Number.parseInt(v, 10)],
    ['temperature', 'pg-temperature', Number],
    ['seed', 'pg-seed', (v) => Number.parseInt(v, 10)],
  ];
  for (const [name, id, parse] of fields) {
    const v = numberField(id, parse);
    if (v !== undefined) body[name] = v;
  }
  return body;
}

/** Runs one completion and streams it into the page; resolves when the stream ends. */
async function run(): Promise<void> {
  const answer = element('pg-answer');
  const hosts = element('pg-hosts');
  const result = element('pg-result');
  const token = element<FormElement>('pg-token').value.trim();
  answer.innerHTML = '';
  hosts.innerHTML = '';
  result.innerHTML = '<span class="empty">waiting for the first token…</span>';
  const res = await fetch('/v1/completions', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(requestBody()),
  });
  if (!res.ok || res.body === null) {
    result.textContent = `refused: ${describeRefusal(res.status, await res.text())}`;
    return;
  }
  let ended = false;
  let position = 0;
  for await (const data of readSseData(res.body)) {
    const event = parseStreamEvent(data);
    if (event?.type === 'token') {
      if (position === 0) result.innerHTML = '<span class="empty">streaming…</span>';
      answer.insertAdjacentHTML('beforeend', tokenHtml(event, position));
      hosts.insertAdjacentHTML('beforeend', tokenHostsRowHtml(event, position));
      position++;
    } else if (event?.type === 'final') {
      result.textContent = settlementLine(event);
      ended = true;
    }
  }
  if (!ended) result.textContent = 'the stream ended without a final chunk (the node stopped?)';
}

/**
 * Wires the playground form. Returns the function that refreshes the model
 * choices from `GET /v1/models` (keeping the user's selection).
 */
export function startPlayground(): (served: readonly ServedModelInfo[]) => void {
  const form = element('pg-form');
  const button = element<FormElement>('pg-run');
  const select = element<FormElement>('pg-model');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    run()
      .catch((err: unknown) => {
        element('pg-result').textContent = `failed: ${err instanceof Error ? err.message : String(err)}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  let lastOptions = '';
  return (served) => {
    const options = modelOptionsHtml(served);
    if (options === lastOptions) return;
    const chosen = select.value;
    select.innerHTML = options;
    if (chosen && served.some((m) => m.id === chosen && m.state === 'ready')) select.value = chosen;
    lastOptions = options;
  };
}

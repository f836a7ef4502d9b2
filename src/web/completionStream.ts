import { SSE_DONE } from '../node/inference/sse.ts';
import { escapeHtml, shortHex } from './html.ts';

/**
 * What the playground reads from a streaming `POST /v1/completions` (the
 * node's OpenAI-compatible shape plus the `concord` field; see
 * docs/inference.md). Token chunks carry the token id and the hosts that agreed on, or were
 * outvoted on, that token's partial products; the final chunk carries the
 * finish reason, usage and the on-chain settlement, and so does the error
 * event that ends a stream that failed mid-answer (`{ error, usage, concord }`).
 */
export type StreamEvent =
  | { type: 'token'; tokenId: number; text: string; agreed: string[]; outvoted: string[] }
  | {
      type: 'final';
      /** `stop` or `length`; null when generation failed (see `error`). */
      finishReason: string | null;
      completionTokens: number | null;
      session: string | null;
      settlement: Settlement | null;
      settlementError: string | null;
      /** Why generation failed (`CODE: message`), from the error event. */
      error: string | null;
    }
  | { type: 'done' };

/** A settled session: the transaction, the credits debited and any host slashed. */
export type Settlement = {
  txHash: string;
  credits: string;
  slashed: { host: string; amount: string; txHash: string }[];
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/**
 * Reads one event's data (`[DONE]` or a chunk's JSON). Returns null for a
 * chunk the playground has nothing to show for; throws SyntaxError for data
 * that is not JSON.
 */
export function parseStreamEvent(data: string): StreamEvent | null {
  if (data.trim() === SSE_DONE) return { type: 'done' };
  const chunk: unknown = JSON.parse(data);
  if (!isObject(chunk)) return null;
  const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : {};
  const concord = isObject(chunk.concord) ? chunk.concord : {};
  const piece = typeof choice.text === 'string' ? choice.text : chatDelta(choice);
  const failed = isObject(chunk.error) ? chunk.error : null;
  if (typeof choice.finish_reason === 'string' || failed !== null) {
    const usage = isObject(chunk.usage) ? chunk.usage : {};
    return {
      type: 'final',
      finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      completionTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : null,
      session: typeof concord.session === 'string' ? concord.session : null,
      settlement: parseSettlement(concord.settlement),
      settlementError: typeof concord.settlementError === 'string' ? concord.settlementError : null,
      error: failed === null ? null : `${text(failed.code)}: ${text(failed.message)}`,
    };
  }
  if (typeof concord.token !== 'number') return null;
  return {
    type: 'token',
    tokenId: concord.token,
    text: piece,
    agreed: strings(concord.agreed),
    outvoted: strings(concord.outvoted),
  };
}

function chatDelta(choice: Json): string {
  return isObject(choice.delta) && typeof choice.delta.content === 'string' ? choice.delta.content : '';
}

function parseSettlement(v: unknown): Settlement | null {
  if (!isObject(v) || typeof v.txHash !== 'string') return null;
  return {
    txHash: v.txHash,
    credits: text(v.credits),
    slashed: (Array.isArray(v.slashed) ? v.slashed : []).filter(isObject).map((s) => ({
      host: text(s.host),
      amount: text(s.amount),
      txHash: text(s.txHash),
    })),
  };
}

const short = (hex: string) => shortHex(hex, 8);

/** A generated token as the stream delivered it. */
export type TokenEvent = Extract<StreamEvent, { type: 'token' }>;

/**
 * The `position`-th token of the answer (from 0) as a span whose tooltip and
 * class say how its partial products were decided (all hosts agreed, or some
 * were outvoted).
 */
export function tokenHtml(e: TokenEvent, position: number): string {
  const cls = e.outvoted.length > 0 ? 'tok disputed' : 'tok';
  const title = `token ${position} (id ${e.tokenId}): ${e.agreed.length} hosts agreed${e.outvoted.length ? `, ${e.outvoted.length} outvoted` : ''}`;
  return `<span class="${cls}" data-token="${position}" title="${escapeHtml(title)}">${escapeHtml(e.text)}</span>`;
}

/** One row of the per-token host table: position, token id, text, the hosts that agreed and those outvoted. */
export function tokenHostsRowHtml(e: TokenEvent, position: number): string {
  const hosts = (list: string[], cls: string) =>
    list.map((h) => `<code class="${cls}" title="${escapeHtml(h)}">${escapeHtml(short(h))}</code>`).join(' ');
  return `<tr data-token="${position}"><td>${position}</td><td>${e.tokenId}</td><td><code>${escapeHtml(JSON.stringify(e.text))}</code></td><td>${hosts(e.agreed, 'agreed')}</td><td>${e.outvoted.length ? hosts(e.outvoted, 'outvoted') : '-'}</td></tr>`;
}

/** The line shown when the answer ends: tokens, finish reason, session and its settlement (or why none). */
export function settlementLine(e: Extract<StreamEvent, { type: 'final' }>): string {
  const head = `${e.completionTokens ?? '?'} tokens (${e.error === null ? e.finishReason : `failed: ${e.error}`})`;
  const session = e.session ? ` · session ${short(e.session)}` : '';
  if (e.settlement) {
    const slashed = e.settlement.slashed.map((s) => ` · slashed ${short(s.host)} ${s.amount} wei`).join('');
    return `${head}${session} · settled: ${e.settlement.credits} credits, tx ${short(e.settlement.txHash)}${slashed}`;
  }
  return `${head}${session} · not settled${e.settlementError ? `: ${e.settlementError}` : ''}`;
}

/** The message to show for a refused request: the API's `{ error: { code, message, … } }` body, or the status. */
export function describeRefusal(status: number, body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && isObject(parsed.error)) {
      return `${text(parsed.error.code) || status}: ${text(parsed.error.message)}`;
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
}

import type { Address, Hex } from 'viem';
import type { ShardVote } from '../../inference/exchangeRound.ts';

/** Which OpenAI endpoint a completion answers: `/v1/completions` or `/v1/chat/completions`. */
export type CompletionKind = 'text' | 'chat';

/** One message of a chat completion request. */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/**
 * Why generation ended: a stop sequence or the stop token (`stop`), or
 * `max_tokens` (`length`). A failure has no finish reason: it is an error
 * status, or mid-stream an error event.
 */
export type FinishReason = 'stop' | 'length';

/** Token counts of a completion, as OpenAI reports them. */
export type CompletionUsage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

/** Which hosts agreed with, or were outvoted by, the consensus on one token's partial products. */
export type TokenVotes = { agreed: Address[]; outvoted: Address[] };

/** A settled session as the final chunk shows it (amounts as decimal strings). */
export type SettlementView = {
  txHash: Hex;
  credits: string;
  slashed: { host: Address; amount: string; txHash: Hex }[];
};

/** The `concord` field of the last chunk (and of a non-streamed answer). */
export type FinalConcord = {
  session: Hex;
  settlement: SettlementView | null;
  settlementError?: string;
};

/** What every chunk of one completion shares: its id, creation time (unix s), model name and endpoint. */
export type CompletionHeader = { id: string; created: number; model: string; kind: CompletionKind };

/**
 * The prompt a chat is continued from: one `role: content` line per message,
 * then `assistant:` for the model to complete. The network's models are plain
 * language models without a chat template, so the format is this simple
 * transcript, the same on every node.
 */
export function chatPrompt(messages: readonly ChatMessage[]): string {
  return `${messages.map((m) => `${m.role}: ${m.content}\n`).join('')}assistant:`;
}

/**
 * The hosts behind one token: every host outvoted on any of the token's
 * partial products, and every other host that was on a winning side (each
 * sorted, without repeats).
 */
export function summarizeVotes(votes: readonly ShardVote[]): TokenVotes {
  const outvoted = new Set<Address>();
  const agreed = new Set<Address>();
  for (const v of votes) {
    for (const h of v.outvoted) outvoted.add(h);
    for (const h of v.agreed) agreed.add(h);
  }
  const sorted = (set: Iterable<Address>) =>
    [...set].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return { agreed: sorted([...agreed].filter((h) => !outvoted.has(h))), outvoted: sorted(outvoted) };
}

/** The id a completion is known by: `cmpl-`/`chatcmpl-` and the session id's hex digits. */
export function completionId(kind: CompletionKind, session: Hex): string {
  return `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${session.slice(2)}`;
}

/**
 * A choice's `logprobs` as OpenAI shapes it for the endpoint (`logprobs.ts`),
 * or null when the request asked for none.
 */
export type ChoiceLogprobs = object | null;

/** The OpenAI-shaped choice of a chunk: `text` for completions, a `delta` for chat. */
function chunkChoice(
  kind: CompletionKind,
  text: string,
  finishReason: FinishReason | null,
  first: boolean,
  logprobs: ChoiceLogprobs = null,
) {
  if (kind === 'text') return { index: 0, text, logprobs, finish_reason: finishReason };
  const delta = first ? { role: 'assistant', content: text } : text === '' ? {} : { content: text };
  return { index: 0, delta, logprobs, finish_reason: finishReason };
}

function chunkBase(h: CompletionHeader) {
  return {
    id: h.id,
    object: h.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: h.created,
    model: h.model,
  };
}

/** The streamed chunk of one generated token: the text it releases, its logprobs if asked, and the hosts behind it. */
export function tokenChunk(
  h: CompletionHeader,
  token: number,
  text: string,
  votes: TokenVotes,
  first: boolean,
  logprobs: ChoiceLogprobs = null,
) {
  return {
    ...chunkBase(h),
    choices: [chunkChoice(h.kind, text, null, first, logprobs)],
    concord: { token, agreed: votes.agreed, outvoted: votes.outvoted },
  };
}

/**
 * A streamed chunk of text released without a token of its own and without
 * a finish: what was held back when generation failed mid-stream.
 */
export function textChunk(h: CompletionHeader, text: string) {
  return { ...chunkBase(h), choices: [chunkChoice(h.kind, text, null, false)] };
}

/** The last streamed chunk: any text released at the end, why generation ended, usage and settlement. */
export function finalChunk(
  h: CompletionHeader,
  text: string,
  finishReason: FinishReason,
  usage: CompletionUsage,
  concord: FinalConcord,
  first: boolean,
) {
  return { ...chunkBase(h), choices: [chunkChoice(h.kind, text, finishReason, first)], usage, concord };
}

/** The whole answer of a non-streamed completion (`text_completion` or `chat.completion`), with its choice's logprobs if asked. */
export function completionResponse(
  h: CompletionHeader,
  text: string,
  finishReason: FinishReason,
  usage: CompletionUsage,
  concord: FinalConcord & { tokens: number[] },
  logprobs: ChoiceLogprobs = null,
) {
  const choice =
    h.kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: text }, logprobs, finish_reason: finishReason }
      : { index: 0, text, logprobs, finish_reason: finishReason };
  return {
    id: h.id,
    object: h.kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: h.created,
    model: h.model,
    choices: [choice],
    usage,
    concord,
  };
}

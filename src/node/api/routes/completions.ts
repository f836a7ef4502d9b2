import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ReleaseSlot } from '../../inference/completionAdmission.ts';
import { ClientClosedRequestError } from '../../inference/completionErrors.ts';
import { type CompletionJob, type CompletionResult, runCompletion } from '../../inference/completions.ts';
import {
  chatLogprobEntry,
  chatLogprobs,
  legacyLogprobs,
  MAX_LEGACY_LOGPROBS,
  MAX_TOP_LOGPROBS,
  type TokenLogprob,
} from '../../inference/logprobs.ts';
import {
  type ChatMessage,
  type ChoiceLogprobs,
  type CompletionHeader,
  type CompletionKind,
  type CompletionUsage,
  chatPrompt,
  completionId,
  completionResponse,
  finalChunk,
  textChunk,
  tokenChunk,
} from '../../inference/openaiFormat.ts';
import { resolveServed } from '../../inference/resolveServed.ts';
import { SSE_DONE_EVENT, sseEvent } from '../../inference/sse.ts';
import type { ServedModel } from '../../inference/types.ts';
import { toApiError } from '../errors.ts';
import { checkSupportedParams } from '../openaiParams.ts';
import {
  type CompletionRouteDeps,
  clientGone,
  inferenceResponses,
  invalid,
  invalidBody,
  MAX_PROMPT_LENGTH,
  paymentOf,
  type SignedRequestBody,
  signedRequestSchema,
} from './openaiRoute.ts';

/** `max_tokens` when the request gives none. */
export const DEFAULT_MAX_TOKENS = 64;
/** The most tokens one completion may ask for. */
export const MAX_COMPLETION_TOKENS = 4096;
/** Most stop sequences in `stop` (OpenAI's limit). */
export const MAX_STOP_SEQUENCES = 4;
/** Longest stop sequence, in characters. */
export const MAX_STOP_LENGTH = 256;

type SamplingBody = {
  model?: string;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  seed?: number;
  stop?: unknown;
  stream?: boolean;
  concord?: SignedRequestBody;
};
type TextBody = SamplingBody & { prompt?: unknown; logprobs?: number | null };
type ChatBody = SamplingBody & {
  messages: ChatMessage[];
  logprobs?: boolean | null;
  top_logprobs?: number | null;
};

const PAYMENT_DESCRIPTION =
  'Paid by a querier-signed request in `concord: { request, signature }` (integers as decimal strings; ' +
  'see GET /v1/models for the gateway, price and signing domain), or with the API token by the node itself. ' +
  'With `stream: true` the answer is server-sent events, begun only once the first token is decided: one ' +
  'chunk per token with `concord: { token, agreed, outvoted }`, a final chunk with `finish_reason` ' +
  '(`stop` or `length`), `usage` and `concord: { session, settlement, settlementError? }`, then ' +
  '`data: [DONE]`; a failure after the first token ends the stream with ' +
  '`data: { error: { code, message, type, param }, usage, concord }` then `data: [DONE]`. A busy gateway queues the ' +
  'request, then refuses it with 429 or 503 and a `Retry-After` header. See docs/inference.md.';

/** Schema of `max_tokens` and of its newer name `max_completion_tokens`. */
const maxTokensSchema = { type: 'integer', minimum: 1, maximum: MAX_COMPLETION_TOKENS } as const;

/**
 * Fields both endpoints take. Fields that change nothing in the answer
 * (`user`, `metadata`, `store`, `stream_options`, …) are accepted and
 * ignored; OpenAI features this node does not offer are refused with 400
 * (`openaiParams.ts`). Types are strict: no coercion.
 */
const samplingProperties = {
  model: { type: 'string', minLength: 1, maxLength: 256 },
  max_tokens: maxTokensSchema,
  max_completion_tokens: maxTokensSchema,
  temperature: { type: 'number', minimum: 0, maximum: 100 },
  top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  top_k: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  stop: { description: 'A stop sequence, or up to 4 (each 1 to 256 characters), or null.' },
  stream: { type: 'boolean' },
  n: { type: 'integer', minimum: 1 },
  concord: signedRequestSchema,
} as const;

const textSchema = {
  type: 'object',
  properties: {
    ...samplingProperties,
    prompt: { description: 'The text to continue, or its token ids (default empty).' },
    logprobs: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: MAX_LEGACY_LOGPROBS,
      description: 'Return each token’s logprob and this many most likely alternatives.',
    },
  },
} as const;

const chatSchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    ...samplingProperties,
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { type: 'string', enum: ['system', 'user', 'assistant'] },
          content: { type: 'string', maxLength: MAX_PROMPT_LENGTH },
        },
      },
    },
    logprobs: { type: ['boolean', 'null'], description: 'Return each token’s logprob.' },
    top_logprobs: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: MAX_TOP_LOGPROBS,
      description: 'With `logprobs: true`, this many most likely alternatives per token.',
    },
  },
} as const;

/**
 * The OpenAI-compatible completion API, a route group:
 * `POST /v1/completions` and `POST /v1/chat/completions` (streamed as
 * server-sent events with `stream: true`, with logprobs when asked).
 * Requests for OpenAI features the node does not offer are refused
 * (`checkSupportedParams`). A completion is paid
 * by a querier-signed request in the body (`concord: { request, signature }`)
 * or, with the node's API token, by the node itself. Before any payment check,
 * it takes a slot of `deps.admission` (waiting in its queue, or refused with
 * 429/503 and `Retry-After`), so a refused request reserves and spends
 * nothing. The status line is sent only once the first token is decided: a
 * failure before it answers with an error status; after it, the stream ends
 * with an error event. A client that goes away stops generation after the
 * current token; only the tokens it received are billed. Errors answer with
 * the API's error body and the codes of `completionErrors.ts`.
 */
export const completionRoutes: FastifyPluginAsync<{ deps: { completions: CompletionRouteDeps } }> = async (
  app,
  { deps: { completions: deps } },
) => {
  const handle = (kind: CompletionKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as TextBody | ChatBody;
    checkSupportedParams(body as Record<string, unknown>, kind);
    const served = resolveServed(deps.models, body.model);
    const promptTokens =
      kind === 'chat'
        ? served.tokenizer.encode(chatPrompt((body as ChatBody).messages))
        : promptOf(served, body as TextBody);
    const stop = stopSequences(body.stop);
    const maxTokens = maxTokensOf(body);
    const topLogprobs =
      kind === 'chat' ? chatTopLogprobs(body as ChatBody) : legacyTopLogprobs(body as TextBody);
    const pay = await paymentOf(deps, request, served, body.concord, maxTokens);
    const gone = clientGone(reply);
    const slot = await deps.admission.acquire(gone);
    try {
      const paid = await pay();
      const job: CompletionJob = {
        served,
        paid,
        promptTokens,
        sampling: { temperature: body.temperature ?? 1, topK: body.top_k ?? 0, topP: body.top_p ?? 1 },
        seed: body.seed ?? randomSeed(),
        stop,
        ...(topLogprobs === undefined ? {} : { topLogprobs }),
      };
      const header: CompletionHeader = {
        id: completionId(kind, paid.session),
        created: Math.floor(Date.now() / 1000),
        model: served.name,
        kind,
      };
      if (body.stream === true) return await stream(reply, header, job, gone, slot);
      const result = await runCompletion(job, deps, { signal: gone, onGenerated: slot });
      if (result.failure !== undefined) throw result.failure;
      const logprobs = choiceLogprobs(job, kind, result.logprobs);
      const report = usage(job, result.tokens.length);
      const concord = { ...finalConcord(result), tokens: result.tokens };
      return completionResponse(header, result.text, result.finishReason, report, concord, logprobs);
    } finally {
      slot();
    }
  };

  /**
   * Streams the completion as server-sent events, sending the status line and
   * headers with the first token; a failure before it is thrown (answered as
   * an error status), one after it ends the stream with an error event.
   */
  const stream = async (
    reply: FastifyReply,
    header: CompletionHeader,
    job: CompletionJob,
    gone: AbortSignal,
    slot: ReleaseSlot,
  ): Promise<void> => {
    let raw: FastifyReply['raw'] | undefined;
    const begin = (): FastifyReply['raw'] => {
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      return reply.raw;
    };
    let result: CompletionResult;
    let textOffset = 0;
    try {
      result = await runCompletion(job, deps, {
        signal: gone,
        onGenerated: slot,
        onToken: (t) => {
          if (gone.aborted) return false;
          const first = raw === undefined;
          raw ??= begin();
          const logprobs =
            t.logprob === undefined ? null : tokenLogprobs(job, header.kind, t.logprob, textOffset);
          textOffset += job.served.tokenizer.decode([t.token]).length;
          raw.write(sseEvent(tokenChunk(header, t.token, t.text, t.votes, first, logprobs)));
          return true;
        },
      });
    } catch (err) {
      if (raw === undefined) throw err;
      deps.log(`inference: completion stream failed: ${err instanceof Error ? err.message : String(err)}`);
      raw.end(sseEvent({ error: toApiError(err).body.error }) + SSE_DONE_EVENT);
      return;
    }
    if (raw === undefined && result.failure !== undefined) throw result.failure;
    if (gone.aborted) {
      if (raw === undefined) throw closed();
      raw.end();
      return;
    }
    const first = raw === undefined;
    raw ??= begin();
    const report = usage(job, result.tokens.length);
    if (result.failure === undefined) {
      raw.write(
        sseEvent(finalChunk(header, result.tail, result.finishReason, report, finalConcord(result), first)),
      );
    } else {
      const { error } = toApiError(result.failure).body;
      deps.metrics?.errors.inc({ code: error.code });
      if (result.tail !== '') raw.write(sseEvent(textChunk(header, result.tail)));
      raw.write(sseEvent({ error, usage: report, concord: finalConcord(result) }));
    }
    raw.end(SSE_DONE_EVENT);
  };

  app.post(
    '/v1/completions',
    {
      schema: {
        summary: 'Continue a prompt by distributed inference (OpenAI-compatible)',
        description: PAYMENT_DESCRIPTION,
        security: [{}, { apiToken: [] }],
        body: textSchema,
        response: inferenceResponses,
      },
      schemaErrorFormatter: invalidBody,
    },
    handle('text'),
  );
  app.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Continue a chat by distributed inference (OpenAI-compatible)',
        description: PAYMENT_DESCRIPTION,
        security: [{}, { apiToken: [] }],
        body: chatSchema,
        response: inferenceResponses,
      },
      schemaErrorFormatter: invalidBody,
    },
    handle('chat'),
  );
};

/** The error a request answers when its client left before anything was sent (it never arrives). */
function closed(): ClientClosedRequestError {
  return new ClientClosedRequestError('The client closed the connection before the first token.');
}

/** The `concord` field of a final chunk, non-streamed answer or error event: session and settlement. */
function finalConcord(result: CompletionResult) {
  return {
    session: result.session,
    settlement: result.settlement,
    ...(result.settlementError === undefined ? {} : { settlementError: result.settlementError }),
  };
}

/**
 * Truthful token counts: the prompt tokens the model read (the newest
 * contextLength of them; the start token for an empty prompt) and the tokens generated.
 */
function usage(job: CompletionJob, completionTokens: number): CompletionUsage {
  const prompt = Math.max(1, Math.min(job.promptTokens.length, job.served.params.config.contextLength));
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

/** The prompt's tokens: a string (encoded by the model's tokenizer), or token ids; absent means empty. */
function promptOf(served: ServedModel, body: TextBody): number[] {
  const prompt = body.prompt ?? '';
  if (typeof prompt === 'string') {
    if (prompt.length > MAX_PROMPT_LENGTH)
      throw invalid(`prompt is longer than ${MAX_PROMPT_LENGTH} characters`, 'prompt');
    return served.tokenizer.encode(prompt);
  }
  const vocab = served.tokenizer.vocabSize;
  if (
    Array.isArray(prompt) &&
    prompt.length <= MAX_PROMPT_LENGTH &&
    prompt.every((t) => Number.isInteger(t) && t >= 0 && t < vocab)
  ) {
    return prompt as number[];
  }
  throw invalid(`prompt must be a string or an array of token ids in [0, ${vocab})`, 'prompt');
}

/** OpenAI's `stop`: a string, up to four strings, or null; each non-empty. */
function stopSequences(stop: unknown): string[] {
  if (stop === undefined || stop === null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (
    Array.isArray(list) &&
    list.length <= MAX_STOP_SEQUENCES &&
    list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= MAX_STOP_LENGTH)
  ) {
    return list as string[];
  }
  throw invalid(
    `stop must be a string or up to ${MAX_STOP_SEQUENCES} strings of 1 to ${MAX_STOP_LENGTH} characters`,
    'stop',
  );
}

/** A sampling seed for requests that give none (each such completion samples differently). */
function randomSeed(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi! & 0x1fffff) * 2 ** 32 + lo!;
}

/** `max_completion_tokens` or its alias `max_tokens` (400 when both are given and differ), or the default. */
function maxTokensOf(body: SamplingBody): number {
  const { max_tokens: legacy, max_completion_tokens: current } = body;
  if (legacy !== undefined && current !== undefined && legacy !== current) {
    throw invalid(
      `max_completion_tokens (${current}) and its alias max_tokens (${legacy}) differ`,
      'max_completion_tokens',
    );
  }
  return current ?? legacy ?? DEFAULT_MAX_TOKENS;
}

/** Chat: alternatives per token with `logprobs: true` (`top_logprobs`, default 0), else undefined. */
function chatTopLogprobs(body: ChatBody): number | undefined {
  if (body.logprobs === true) return body.top_logprobs ?? 0;
  if (body.top_logprobs !== undefined && body.top_logprobs !== null)
    throw invalid('top_logprobs needs logprobs: true', 'top_logprobs');
  return undefined;
}

/** Legacy completions: `logprobs: N` asks each token's logprob and N alternatives. */
function legacyTopLogprobs(body: TextBody): number | undefined {
  return body.logprobs ?? undefined;
}

/** A streamed token's `logprobs`: the chat entry, or the legacy arrays of one token at `offset`. */
function tokenLogprobs(job: CompletionJob, kind: CompletionKind, lp: TokenLogprob, offset: number) {
  const { tokenizer } = job.served;
  return kind === 'chat'
    ? { content: [chatLogprobEntry(tokenizer, lp)], refusal: null }
    : legacyLogprobs(tokenizer, [lp], offset);
}

/** A whole answer's `logprobs`, or null when the request asked for none. */
function choiceLogprobs(job: CompletionJob, kind: CompletionKind, lps: TokenLogprob[]): ChoiceLogprobs {
  if (job.topLogprobs === undefined) return null;
  const { tokenizer } = job.served;
  return kind === 'chat' ? chatLogprobs(tokenizer, lps) : legacyLogprobs(tokenizer, lps);
}

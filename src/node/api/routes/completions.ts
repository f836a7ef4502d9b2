import type { FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Hex } from 'viem';
import type { ConcordContext } from '../../../chain/context.ts';
import {
  type InferenceRequestJson,
  REQUEST_JSON_FIELDS,
  requestFromJson,
} from '../../../chain/requestJson.ts';
import type { Store } from '../../../store/openStore.ts';
import type { CompletionAdmission, ReleaseSlot } from '../../inference/completionAdmission.ts';
import {
  ClientClosedRequestError,
  InvalidRequestError,
  QuerierSignatureRequiredError,
} from '../../inference/completionErrors.ts';
import { type CompletionJob, type CompletionResult, runCompletion } from '../../inference/completions.ts';
import type { CreditReservations } from '../../inference/creditReservations.ts';
import {
  type ChatMessage,
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
import { admitSelfPaidRequest, admitSignedRequest, type PaidQuery } from '../../inference/querier.ts';
import { resolveServed } from '../../inference/resolveServed.ts';
import { SSE_DONE_EVENT, sseEvent } from '../../inference/sse.ts';
import type { ModelService, ServedModel } from '../../inference/types.ts';
import type { NodeMetrics } from '../../metrics.ts';
import type { Secret } from '../../secret.ts';
import type { TxLock } from '../../txLock.ts';
import { requireApiToken } from '../auth.ts';
import { toApiError } from '../errors.ts';
import { address, errorBody, uintString } from '../schemas.ts';

/** `max_tokens` when the request gives none. */
export const DEFAULT_MAX_TOKENS = 64;
/** The most tokens one completion may ask for. */
export const MAX_COMPLETION_TOKENS = 4096;
/** Longest prompt (characters, or token ids) and chat message accepted. */
export const MAX_PROMPT_LENGTH = 65_536;
/** Most stop sequences in `stop` (OpenAI's limit). */
export const MAX_STOP_SEQUENCES = 4;
/** Longest stop sequence, in characters. */
export const MAX_STOP_LENGTH = 256;

/**
 * What the completion routes need from the node: the models it serves, the
 * chain as the node's account (the gateway that settles), the tx lock every
 * sender of that account shares, the store (served session ids, for replay
 * protection across restarts), the API token (self-paid completions), the
 * price it asks per token, its admission control, the error counter and a log.
 */
export type CompletionRouteDeps = {
  models: ModelService;
  ctx: ConcordContext;
  txLock: TxLock;
  store: Pick<Store, 'settings'>;
  apiToken: Secret;
  /** Credits asked per generated token (`--credits-per-token`). */
  creditsPerToken: bigint;
  /** The credits promised to this gateway's open sessions (one instance per node). */
  reservations: CreditReservations;
  /** How many completions run and wait at once (one instance per node). */
  admission: CompletionAdmission;
  metrics?: Pick<NodeMetrics, 'errors'> | undefined;
  log: (line: string) => void;
};

type SamplingBody = {
  model?: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  seed?: number;
  stop?: unknown;
  stream?: boolean;
  concord?: { request: InferenceRequestJson; signature: Hex };
};
type TextBody = SamplingBody & { prompt?: unknown };
type ChatBody = SamplingBody & { messages: ChatMessage[] };

const signedRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request', 'signature'],
  properties: {
    request: {
      type: 'object',
      additionalProperties: false,
      required: [...REQUEST_JSON_FIELDS],
      properties: {
        querier: address,
        gateway: address,
        modelId: uintString,
        versionIndex: uintString,
        creditsPerToken: uintString,
        maxCredits: uintString,
        nonce: uintString,
        deadline: uintString,
      },
    },
    signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' },
  },
} as const;

const PAYMENT_DESCRIPTION =
  'Paid by a querier-signed request in `concord: { request, signature }` (integers as decimal strings; ' +
  'see GET /v1/models for the gateway, price and signing domain), or with the API token by the node itself. ' +
  'With `stream: true` the answer is server-sent events, begun only once the first token is decided: one ' +
  'chunk per token with `concord: { token, agreed, outvoted }`, a final chunk with `finish_reason` ' +
  '(`stop` or `length`), `usage` and `concord: { session, settlement, settlementError? }`, then ' +
  '`data: [DONE]`; a failure after the first token ends the stream with ' +
  '`data: { error: { code, message }, usage, concord }` then `data: [DONE]`. A busy gateway queues the ' +
  'request, then refuses it with 429 or 503 and a `Retry-After` header. See docs/inference.md.';

const errorWith = (description: string) => ({ ...errorBody, description });

/** The answers of the completion routes (an answer of 200 is JSON, or an SSE stream with `stream: true`). */
const completionResponses = {
  200: { description: 'The completion, or its server-sent events with `stream: true`.' },
  400: errorWith(
    '`INVALID_REQUEST`, `REQUEST_GATEWAY_MISMATCH`, `REQUEST_MODEL_MISMATCH`, `REQUEST_PRICE_TOO_LOW`, `REQUEST_EXPIRED`.',
  ),
  401: errorWith(
    '`QUERIER_SIGNATURE_REQUIRED`, `REQUEST_SIGNATURE_INVALID`, `UNAUTHORIZED` (wrong API token).',
  ),
  402: errorWith(
    '`INSUFFICIENT_CREDITS`: the querier’s credits or the request’s cap do not pay for the tokens.',
  ),
  404: errorWith('`MODEL_NOT_FOUND`.'),
  409: errorWith('`REQUEST_REPLAYED`: this session was served before or is settled.'),
  429: errorWith(
    '`QUEUE_FULL`: every running slot and queue place is taken; retry after `Retry-After` seconds. Nothing was reserved or billed.',
  ),
  502: errorWith(
    '`NO_CONSENSUS` (the hosts answered but disagree), `INFERENCE_FAILED`: generation failed before the answer was complete; only delivered tokens are billed.',
  ),
  503: errorWith(
    '`MODEL_NOT_READY` (loading or failed), `NO_CAPACITY` (no slot freed within the longest wait), `HOSTS_UNAVAILABLE` (hosts failed or did not answer); with `Retry-After` except `MODEL_NOT_READY`.',
  ),
} as const;

/** Fields both endpoints take; unknown OpenAI fields (`user`, penalties, …) are accepted and ignored. */
const samplingProperties = {
  model: { type: 'string', minLength: 1, maxLength: 256 },
  max_tokens: { type: 'integer', minimum: 1, maximum: MAX_COMPLETION_TOKENS },
  temperature: { type: 'number', minimum: 0, maximum: 100 },
  top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  top_k: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  stop: { description: 'A stop sequence, or up to 4 (each 1 to 256 characters), or null.' },
  stream: { type: 'boolean' },
  n: { type: 'integer', minimum: 1, maximum: 1 },
  concord: signedRequestSchema,
} as const;

const textSchema = {
  type: 'object',
  properties: {
    ...samplingProperties,
    prompt: { description: 'The text to continue, or its token ids (default empty).' },
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
  },
} as const;

/**
 * The OpenAI-compatible completion API, a route group:
 * `POST /v1/completions` and `POST /v1/chat/completions`
 * (streamed as server-sent events with `stream: true`). A completion is paid
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
  const checkToken = requireApiToken(deps.apiToken);
  const handle = (kind: CompletionKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as TextBody | ChatBody;
    const served = resolveServed(deps.models, body.model);
    const promptTokens =
      kind === 'chat'
        ? served.tokenizer.encode(chatPrompt((body as ChatBody).messages))
        : promptOf(served, body);
    const stop = stopSequences(body.stop);
    const maxTokens = body.max_tokens ?? DEFAULT_MAX_TOKENS;
    const querier = {
      ctx: deps.ctx,
      settings: deps.store.settings,
      creditsPerToken: deps.creditsPerToken,
      txLock: deps.txLock,
      reservations: deps.reservations,
    };
    let pay: () => Promise<PaidQuery>;
    if (body.concord !== undefined) {
      const signed = requestFromJson(body.concord.request);
      const signature = body.concord.signature;
      pay = () => admitSignedRequest(querier, served, signed, signature, maxTokens);
    } else if (request.headers.authorization !== undefined) {
      await checkToken(request);
      pay = () => admitSelfPaidRequest(querier, served, maxTokens);
    } else {
      throw new QuerierSignatureRequiredError('A completion must be paid for.', {
        hint: "Send `concord: { request, signature }` signed by a querier with credits, or the node's API token as 'Authorization: Bearer <token>'.",
      });
    }
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
      return completionResponse(header, result.text, result.finishReason, usage(job, result.tokens.length), {
        ...finalConcord(result),
        tokens: result.tokens,
      });
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
    try {
      result = await runCompletion(job, deps, {
        signal: gone,
        onGenerated: slot,
        onToken: (t) => {
          if (gone.aborted) return false;
          const first = raw === undefined;
          raw ??= begin();
          raw.write(sseEvent(tokenChunk(header, t.token, t.text, t.votes, first)));
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
        response: completionResponses,
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
        response: completionResponses,
      },
      schemaErrorFormatter: invalidBody,
    },
    handle('chat'),
  );
};

/** Aborts when the client closes the connection before the answer is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) gone.abort();
  });
  return gone.signal;
}

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

function usage(job: CompletionJob, completionTokens: number): CompletionUsage {
  const prompt = job.promptTokens.length;
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
      throw invalid(`prompt is longer than ${MAX_PROMPT_LENGTH} characters`);
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
  throw invalid(`prompt must be a string or an array of token ids in [0, ${vocab})`);
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
  );
}

function invalid(problem: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid completion request: ${problem}.`, {
    hint: 'See docs/inference.md, "HTTP API and concord ask", for the accepted fields.',
  });
}

/** A sampling seed for requests that give none (each such completion samples differently). */
function randomSeed(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi! & 0x1fffff) * 2 ** 32 + lo!;
}

/**
 * A schema violation of a completion request, answered as 400
 * `INVALID_REQUEST` (fastify's `schemaErrorFormatter`; the API answers the
 * error a violation's `cause` names, see `toApiError`).
 */
function invalidBody(errors: FastifySchemaValidationError[], where: string): Error {
  const cause = invalid(errors.map((e) => `${where}${e.instancePath} ${e.message}`).join(', '));
  return new Error(cause.shortMessage, { cause });
}

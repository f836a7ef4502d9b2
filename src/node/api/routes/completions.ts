import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Hex } from 'viem';
import type { ConcordContext } from '../../../chain/context.ts';
import {
  type InferenceRequestJson,
  REQUEST_JSON_FIELDS,
  requestFromJson,
} from '../../../chain/requestJson.ts';
import type { Store } from '../../../store/openStore.ts';
import {
  CompletionError,
  InvalidRequestError,
  QuerierSignatureRequiredError,
} from '../../inference/completionErrors.ts';
import { type CompletionJob, runCompletion } from '../../inference/completions.ts';
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
import { type ApiErrorBody, toApiError } from '../errors.ts';
import { address, errorBody, uintString } from '../schemas.ts';
import { registerModelRoutes } from './models.ts';

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
 * price it asks per token, the error counter and a log.
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
  'With `stream: true` the answer is server-sent events: one chunk per token with ' +
  '`concord: { token, agreed, outvoted }`, a final chunk with `finish_reason`, `usage` and ' +
  '`concord: { session, settlement, settlementError? }`, then `data: [DONE]`. See docs/inference.md.';

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
  503: errorWith('`MODEL_NOT_READY`: the model is loading or failed.'),
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
 * The OpenAI-compatible completion API on a node's fastify app:
 * `GET /v1/models`, `POST /v1/completions` and `POST /v1/chat/completions`
 * (streamed as server-sent events with `stream: true`). A completion is paid
 * by a querier-signed request in the body (`concord: { request, signature }`)
 * or, with the node's API token, by the node itself. A client that goes away
 * stops generation after the current token; what was generated is settled.
 * Errors answer with the API's error body and the codes of `completionErrors.ts`.
 */
export function registerCompletionRoutes(app: FastifyInstance, deps: CompletionRouteDeps): void {
  registerModelRoutes(app, deps);
  const checkToken = requireApiToken(deps.apiToken);
  const errorHandler = completionErrorHandler(deps);
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
    let paid: PaidQuery;
    if (body.concord !== undefined) {
      const signed = requestFromJson(body.concord.request);
      paid = await admitSignedRequest(querier, served, signed, body.concord.signature, maxTokens);
    } else if (request.headers.authorization !== undefined) {
      await checkToken(request);
      paid = await admitSelfPaidRequest(querier, served, maxTokens);
    } else {
      throw new QuerierSignatureRequiredError('A completion must be paid for.', {
        hint: "Send `concord: { request, signature }` signed by a querier with credits, or the node's API token as 'Authorization: Bearer <token>'.",
      });
    }
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
    if (body.stream === true) return await stream(reply, header, job);
    const result = await runCompletion(job, deps, () => undefined, clientGone(reply));
    return completionResponse(header, result.text, result.finishReason, usage(job, result.tokens.length), {
      session: result.session,
      tokens: result.tokens,
      settlement: result.settlement,
      ...optional(result),
    });
  };

  /** Streams the completion as server-sent events. */
  const stream = async (reply: FastifyReply, header: CompletionHeader, job: CompletionJob): Promise<void> => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const gone = clientGone(reply);
    let first = true;
    try {
      const result = await runCompletion(
        job,
        deps,
        (t) => {
          if (gone.aborted) return;
          raw.write(sseEvent(tokenChunk(header, t.token, t.text, t.votes, first)));
          first = false;
        },
        gone,
      );
      if (gone.aborted) return;
      const final = finalChunk(
        header,
        result.tail,
        result.finishReason,
        usage(job, result.tokens.length),
        {
          session: result.session,
          settlement: result.settlement,
          ...optional(result),
        },
        first,
      );
      raw.write(sseEvent(final));
    } catch (err) {
      deps.log(`inference: completion stream failed: ${err instanceof Error ? err.message : String(err)}`);
      raw.write(sseEvent({ error: toApiError(err).body.error }));
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
      errorHandler,
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
      errorHandler,
    },
    handle('chat'),
  );
}

/** Aborts when the client closes the connection before the answer is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) gone.abort();
  });
  return gone.signal;
}

/** The final chunk's optional fields: `settlementError` and `error`, when present. */
function optional(result: { settlementError?: string; error?: string }) {
  return {
    ...(result.settlementError === undefined ? {} : { settlementError: result.settlementError }),
    ...(result.error === undefined ? {} : { error: result.error }),
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
 * Answers errors of the completion routes: a CompletionError with its own
 * status and code, a schema violation as 400 `INVALID_REQUEST`, anything else
 * as the API's other routes do (`toApiError`); counted in the error metric.
 */
function completionErrorHandler(deps: Pick<CompletionRouteDeps, 'metrics' | 'log'>) {
  return async (thrown: unknown, _request: FastifyRequest, reply: FastifyReply) => {
    const err = thrown instanceof Error && 'validation' in thrown ? invalid(thrown.message) : thrown;
    let status: number;
    let body: ApiErrorBody;
    if (err instanceof CompletionError) {
      status = err.status;
      body = {
        error: { code: err.code, message: err.hint ? `${err.shortMessage} ${err.hint}` : err.shortMessage },
      };
    } else {
      ({ status, body } = toApiError(err));
      if (status >= 500) deps.log(`api: internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
    deps.metrics?.errors.inc({ code: body.error.code });
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.status(status).send(body);
  };
}

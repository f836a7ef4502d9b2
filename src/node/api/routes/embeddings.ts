import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ClientClosedRequestError } from '../../inference/completionErrors.ts';
import { runEmbedding } from '../../inference/embeddings.ts';
import { resolveServed } from '../../inference/resolveServed.ts';
import type { ServedModel } from '../../inference/types.ts';
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

/** Most inputs one embeddings request takes. */
export const MAX_EMBEDDING_INPUTS = 64;

/**
 * Tokens one embedding request is paid for (and bills none of): a request
 * must be funded for one token, as a completion is, but an embedding
 * generates no token.
 */
const EMBEDDING_FUNDED_TOKENS = 1;

type EmbeddingBody = {
  model?: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  concord?: SignedRequestBody;
};

const inputText = { type: 'string', maxLength: MAX_PROMPT_LENGTH } as const;

const embeddingSchema = {
  type: 'object',
  required: ['input'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    input: {
      description:
        'A text, or up to 64 texts, each of 1 to contextLength tokens. Token arrays are not accepted.',
      anyOf: [inputText, { type: 'array', minItems: 1, maxItems: MAX_EMBEDDING_INPUTS, items: inputText }],
    },
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: {
      type: 'integer',
      minimum: 1,
      description: 'Accepted only when it is the model’s width (dModel): vectors are not shortened.',
    },
    user: { type: 'string', maxLength: 256 },
    concord: signedRequestSchema,
  },
} as const;

const embeddingResponse = {
  type: 'object',
  required: ['object', 'data', 'model', 'usage', 'concord'],
  properties: {
    object: { type: 'string' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['object', 'index', 'embedding'],
        properties: {
          object: { type: 'string' },
          index: { type: 'integer' },
          embedding: {
            description:
              'f32 values, or with `encoding_format: "base64"` their little-endian bytes in base64.',
            anyOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string' }],
          },
        },
      },
    },
    model: { type: 'string' },
    usage: {
      type: 'object',
      required: ['prompt_tokens', 'total_tokens'],
      properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
    },
    concord: {
      type: 'object',
      required: ['session', 'agreed', 'outvoted', 'settlement'],
      properties: {
        session: { type: 'string' },
        agreed: { type: 'array', items: { type: 'string' } },
        outvoted: { type: 'array', items: { type: 'string' } },
        settlement: {},
        settlementError: { type: 'string' },
      },
    },
  },
} as const;

const EMBEDDING_DESCRIPTION =
  'Each input’s prefill runs through the hosts, row-sharded under consensus like a completion; the ' +
  'embedding is the mean over its tokens of the final layer-normed hidden state (f32, dModel values), bit ' +
  'for bit the local computation. Paid like a completion (`concord: { request, signature }` funded for at ' +
  'least one token, or the API token) and settled as one that generated no token: nothing is billed; a ' +
  'transaction is sent only to slash an outvoted host. See docs/api.md.';

/**
 * `POST /v1/embeddings` (OpenAI-compatible), a route group: the embeddings of
 * one input or several, computed by the network (`runEmbedding`), admitted
 * and paid like a completion; a schema violation answers 400
 * `INVALID_REQUEST` as the completion routes' do.
 */
export const embeddingRoutes: FastifyPluginAsync<{ deps: { completions: CompletionRouteDeps } }> = async (
  app,
  { deps: { completions: deps } },
) => {
  app.post(
    '/v1/embeddings',
    {
      schema: {
        summary: 'Embed texts by distributed inference (OpenAI-compatible)',
        description: EMBEDDING_DESCRIPTION,
        security: [{}, { apiToken: [] }],
        body: embeddingSchema,
        response: { ...inferenceResponses, 200: embeddingResponse },
      },
      schemaErrorFormatter: invalidBody,
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body as EmbeddingBody;
      const served = resolveServed(deps.models, body.model);
      const { dModel } = served.params.config;
      if (body.dimensions !== undefined && body.dimensions !== dModel) {
        throw invalid(`${served.name} gives vectors of ${dModel} dimensions only`, 'dimensions');
      }
      const inputs = inputTokens(served, typeof body.input === 'string' ? [body.input] : body.input);
      const pay = await paymentOf(deps, request, served, body.concord, EMBEDDING_FUNDED_TOKENS);
      const gone = clientGone(reply);
      const slot = await deps.admission.acquire(gone);
      try {
        const paid = await pay();
        const result = await runEmbedding({ served, paid, inputs }, deps, {
          signal: gone,
          onGenerated: slot,
        });
        if (result.failure !== undefined) throw result.failure;
        if (gone.aborted) throw new ClientClosedRequestError('The client closed the connection.');
        const promptTokens = inputs.reduce((n, t) => n + t.length, 0);
        return {
          object: 'list',
          data: result.embeddings.map((v, index) => ({
            object: 'embedding',
            index,
            embedding: body.encoding_format === 'base64' ? base64Of(v) : Array.from(v),
          })),
          model: served.name,
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
          concord: {
            session: result.session,
            agreed: result.votes.agreed,
            outvoted: result.votes.outvoted,
            settlement: result.settlement,
            ...(result.settlementError === undefined ? {} : { settlementError: result.settlementError }),
          },
        };
      } finally {
        slot();
      }
    },
  );
};

/** Each text's tokens: 400 naming `input` for an empty text or one longer than the model's context. */
function inputTokens(served: ServedModel, texts: readonly string[]): number[][] {
  const { contextLength } = served.params.config;
  return texts.map((text, i) => {
    const param = texts.length === 1 ? 'input' : `input[${i}]`;
    const tokens = served.tokenizer.encode(text);
    if (tokens.length === 0) throw invalid('an input is empty', param);
    if (tokens.length > contextLength) {
      throw invalid(
        `an input is ${tokens.length} tokens, longer than ${served.name}'s context of ${contextLength}`,
        param,
      );
    }
    return tokens;
  });
}

/** The vector's f32 values as little-endian bytes, in base64 (OpenAI's `encoding_format: "base64"`). */
function base64Of(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return Buffer.from(bytes).toString('base64');
}

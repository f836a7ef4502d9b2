import type { FastifyPluginAsync } from 'fastify';
import { ServedModelNotFoundError } from '../../inference/completionErrors.ts';
import { creditsDomain } from '../../inference/querier.ts';
import { findModelStatus } from '../../inference/resolveServed.ts';
import type { ServedModelStatus } from '../../inference/types.ts';
import { address, errorBody, uintString } from '../schemas.ts';
import { type CompletionRouteDeps, errorWith, invalidBody } from './openaiRoute.ts';

const modelEntry = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by', 'concord'],
  properties: {
    id: { type: 'string' },
    object: { type: 'string' },
    created: { type: 'integer' },
    owned_by: { type: 'string' },
    concord: {
      type: 'object',
      required: ['modelId', 'versionIndex', 'name', 'digest', 'state', 'creditsPerToken', 'gateway'],
      properties: {
        modelId: uintString,
        versionIndex: uintString,
        name: { type: 'string' },
        digest: { type: 'string' },
        state: { type: 'string' },
        error: { type: 'string' },
        replicas: { type: 'integer' },
        hostedShards: { type: 'integer' },
        hostedBytes: { type: 'integer' },
        hosts: { type: 'array', items: address },
        creditsPerToken: uintString,
        gateway: address,
        chainId: { type: 'integer' },
        accessCredits: address,
      },
    },
  },
} as const;

/**
 * `GET /v1/models` and `GET /v1/models/{id}` (public), OpenAI-shaped: every
 * model version the node knows (or the one `id` names as `model` does; 404
 * `MODEL_NOT_FOUND` for another), with its serving status and what a querier
 * signs a request for — the price per token, this node as gateway, and the
 * AccessCredits domain. `created` is when the node started (the registry
 * keeps no publish time).
 */
export const modelRoutes: FastifyPluginAsync<{
  deps: { completions: Pick<CompletionRouteDeps, 'models' | 'ctx' | 'creditsPerToken'> };
}> = async (app, { deps: { completions: deps } }) => {
  const created = Math.floor(Date.now() / 1000);
  const entry = (s: ServedModelStatus) => {
    const { chainId, accessCredits } = creditsDomain(deps.ctx);
    return {
      id: s.name,
      object: 'model',
      created,
      owned_by: 'concord',
      concord: {
        ...s,
        creditsPerToken: deps.creditsPerToken.toString(),
        gateway: deps.ctx.account.address,
        chainId,
        accessCredits,
      },
    };
  };
  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'The model versions this node serves or is loading (OpenAI-compatible)',
        response: {
          200: {
            type: 'object',
            required: ['object', 'data'],
            properties: { object: { type: 'string' }, data: { type: 'array', items: modelEntry } },
          },
          '5xx': errorBody,
        },
      },
    },
    async () => ({ object: 'list', data: deps.models.status().map(entry) }),
  );
  app.get(
    '/v1/models/:id',
    {
      schema: {
        summary:
          'One model version this node serves or is loading, by name, `name@version` or model id (OpenAI-compatible)',
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: modelEntry, 404: errorWith('`MODEL_NOT_FOUND`.'), '5xx': errorBody },
      },
      schemaErrorFormatter: invalidBody,
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const found = findModelStatus(deps.models, id);
      if (found === undefined) {
        throw new ServedModelNotFoundError(`This node knows no model '${id}'.`, {
          param: 'model',
          hint: 'GET /v1/models lists the names.',
        });
      }
      return entry(found);
    },
  );
};

import type { FastifyPluginAsync } from 'fastify';
import { creditsDomain } from '../../inference/querier.ts';
import { address, errorBody, uintString } from '../schemas.ts';
import type { CompletionRouteDeps } from './completions.ts';

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
 * `GET /v1/models` (public), OpenAI-shaped: every model version the node
 * knows, with its serving status and what a querier signs a request for —
 * the price per token, this node as gateway, and the AccessCredits domain.
 * `created` is when the node started (the registry keeps no publish time).
 */
export const modelRoutes: FastifyPluginAsync<{
  deps: { completions: Pick<CompletionRouteDeps, 'models' | 'ctx' | 'creditsPerToken'> };
}> = async (app, { deps: { completions: deps } }) => {
  const created = Math.floor(Date.now() / 1000);
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
    async () => {
      const { chainId, accessCredits } = creditsDomain(deps.ctx);
      return {
        object: 'list',
        data: deps.models.status().map((s) => ({
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
        })),
      };
    },
  );
};

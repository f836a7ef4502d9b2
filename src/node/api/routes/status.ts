import type { FastifyInstance } from 'fastify';
import { address, errorBody } from '../schemas.ts';
import type { ApiDeps } from '../types.ts';

/** `GET /health`, `GET /v1/peers` and `GET /metrics`: public reads. */
export function registerStatusRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'peerId', 'address', 'chainId', 'chainHead'],
            properties: {
              status: { type: 'string' },
              version: { type: 'string' },
              peerId: { type: 'string' },
              address,
              chainId: { type: 'integer' },
              chainHead: { type: 'string' },
            },
          },
          '4xx': errorBody,
          '5xx': errorBody,
        },
      },
    },
    async () => {
      const health = await deps.health();
      return { status: 'ok', version: deps.version, ...health, chainHead: health.chainHead.toString() };
    },
  );

  app.get(
    '/v1/peers',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['peers'],
            properties: {
              peers: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['peerId', 'addrs', 'connected'],
                  properties: {
                    peerId: { type: 'string' },
                    addrs: { type: 'array', items: { type: 'string' } },
                    connected: { type: 'boolean' },
                  },
                },
              },
            },
          },
          '5xx': errorBody,
        },
      },
    },
    async () => ({ peers: await deps.peers() }),
  );

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}

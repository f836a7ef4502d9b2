import type { FastifyPluginAsync } from 'fastify';
import { address, errorBody, healthChecks, healthErrorBody } from '../schemas.ts';
import type { ApiDeps } from '../types.ts';

/** The status routes, a route group: `GET /health`, `GET /v1/peers` and `GET /metrics`, public reads. */
export const statusRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: "The node's identity, chain head and dependencies",
        description:
          'Answers within about 2 s whatever its dependencies do: 200 while the node serves (`status` is `degraded` when a check is not `ok`), 503 `CHAIN_UNREACHABLE` with every check when the chain does not answer.',
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'peerId', 'address', 'chainId', 'chainHead', 'checks'],
            properties: {
              status: { type: 'string', enum: ['ok', 'degraded'] },
              version: { type: 'string' },
              peerId: { type: 'string' },
              address,
              chainId: { type: 'integer' },
              chainHead: { type: 'string' },
              checks: healthChecks,
            },
          },
          '4xx': errorBody,
          503: healthErrorBody,
          '5xx': errorBody,
        },
      },
    },
    async () => {
      const health = await deps.health();
      const ok = Object.values(health.checks).every((c) => c.status === 'ok');
      return {
        status: ok ? 'ok' : 'degraded',
        version: deps.version,
        ...health,
        chainHead: health.chainHead.toString(),
      };
    },
  );

  app.get(
    '/v1/peers',
    {
      schema: {
        summary: 'Peers this node is connected to',
        response: {
          200: {
            type: 'object',
            required: ['peers'],
            properties: {
              peers: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['peerId', 'addrs', 'connected', 'node'],
                  properties: {
                    peerId: { type: 'string' },
                    addrs: { type: 'array', items: { type: 'string' } },
                    connected: { type: 'boolean' },
                    node: {
                      type: 'boolean',
                      description:
                        "An active Concord node (registered with a verified peer id); false: another node's gateway host or a client.",
                    },
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

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'The node in Prometheus text: process metrics, HTTP request durations by route and status, inference sessions, tokens, latency and failovers, connected peers, tasks by state, commits, reveals, gossip, blob bytes served and API errors by code (docs/node.md lists every series).',
        response: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
};

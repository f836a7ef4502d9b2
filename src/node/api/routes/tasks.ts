import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyPluginAsync } from 'fastify';
import type { Hex } from 'viem';
import { requireApiToken } from '../auth.ts';
import { createTaskBody, errorBody, hex32, taskListQuery, taskView, uintString } from '../schemas.ts';
import type { ApiDeps } from '../types.ts';

/**
 * The task routes, a route group: `GET /v1/tasks`, `GET /v1/tasks/:id`
 * (public) and `POST /v1/tasks` (needs the API token). Request types come
 * from the schemas.
 */
export const taskRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>();
  app.get(
    '/v1/tasks',
    {
      schema: {
        summary: 'List tasks, newest first',
        description: "Filters combine; page with `before` set to the previous page's `next`.",
        querystring: taskListQuery,
        response: {
          200: {
            type: 'object',
            required: ['tasks', 'next'],
            properties: { tasks: { type: 'array', items: taskView }, next: { type: ['string', 'null'] } },
          },
          '4xx': errorBody,
          '5xx': errorBody,
        },
      },
    },
    async (request) => {
      const { before, limit, ...filters } = request.query;
      return deps.listTasks({
        ...filters,
        before: before === undefined ? undefined : BigInt(before),
        limit: Number(limit),
      });
    },
  );

  app.get(
    '/v1/tasks/:id',
    {
      schema: {
        summary: 'One task with its committee, commits, reveals, winner and payouts',
        params: { type: 'object', required: ['id'], properties: { id: uintString } },
        response: { 200: taskView, '4xx': errorBody, '5xx': errorBody },
      },
    },
    async (request) => deps.getTask(BigInt(request.params.id)),
  );

  app.post(
    '/v1/tasks',
    {
      onRequest: requireApiToken(deps.apiToken),
      schema: {
        summary: 'Create a task from a spec, paid by this node',
        description:
          "Stores the spec blob, escrows the reward from the node's tokens and announces the task to the network.",
        body: createTaskBody,
        response: {
          201: {
            type: 'object',
            required: ['taskId', 'specDigest', 'txHash'],
            properties: { taskId: uintString, specDigest: hex32, txHash: hex32 },
          },
          '4xx': errorBody,
          '5xx': errorBody,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await deps.createTask({
        ...b,
        baseReward: BigInt(b.baseReward),
        bond: BigInt(b.bond),
        stakeSlash: BigInt(b.stakeSlash),
        pool: b.pool as Hex,
      });
      return reply.status(201).send({ ...created, taskId: created.taskId.toString() });
    },
  );
};

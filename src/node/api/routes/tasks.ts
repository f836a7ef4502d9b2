import type { FastifyInstance } from 'fastify';
import type { Address, Hex } from 'viem';
import { requireApiToken } from '../auth.ts';
import { errorBody, hex32, address as schemaAddress, taskView, uintString } from '../schemas.ts';
import type { ApiDeps } from '../types.ts';

/** Largest page of `GET /v1/tasks`. */
export const MAX_TASK_PAGE = 100;

const ZERO32 = `0x${'0'.repeat(64)}`;
const count = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const;
const seconds = { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 } as const;

type ListQuery = {
  state?: string;
  kind?: string;
  pool?: Hex;
  creator?: Address;
  before?: string;
  limit: number;
};
type CreateBody = {
  spec: Record<string, unknown>;
  baseReward: string;
  growthBps: number;
  maxParticipants: number;
  quorum: number;
  committeeSize: number;
  bond: string;
  stakeSlash: string;
  commitSeconds: number;
  revealSeconds: number;
  pool: Hex;
};

/** `GET /v1/tasks`, `GET /v1/tasks/:id` (public) and `POST /v1/tasks` (needs the API token). */
export function registerTaskRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/v1/tasks',
    {
      schema: {
        summary: 'List tasks, newest first',
        description: "Filters combine; page with `before` set to the previous page's `next`.",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', maxLength: 32 },
            kind: { type: 'string', maxLength: 66 },
            pool: hex32,
            creator: schemaAddress,
            before: uintString,
            limit: { type: 'integer', minimum: 1, maximum: MAX_TASK_PAGE, default: 20 },
          },
        },
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
      const q = request.query as ListQuery;
      return deps.listTasks({
        state: q.state,
        kind: q.kind,
        pool: q.pool,
        creator: q.creator,
        before: q.before === undefined ? undefined : BigInt(q.before),
        limit: q.limit,
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
    async (request) => deps.getTask(BigInt((request.params as { id: string }).id)),
  );

  app.post(
    '/v1/tasks',
    {
      onRequest: requireApiToken(deps.apiToken),
      schema: {
        summary: 'Create a task from a spec, paid by this node',
        description:
          "Stores the spec blob, escrows the reward from the node's tokens and announces the task to the network.",
        body: {
          type: 'object',
          additionalProperties: false,
          required: [
            'spec',
            'baseReward',
            'maxParticipants',
            'quorum',
            'committeeSize',
            'commitSeconds',
            'revealSeconds',
          ],
          properties: {
            spec: {
              type: 'object',
              required: ['kind'],
              properties: { kind: { type: 'string', minLength: 1, maxLength: 64 } },
            },
            baseReward: uintString,
            growthBps: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
            maxParticipants: count(256),
            quorum: count(256),
            committeeSize: count(256),
            bond: { ...uintString, default: '0' },
            stakeSlash: { ...uintString, default: '0' },
            commitSeconds: seconds,
            revealSeconds: seconds,
            pool: { ...hex32, default: ZERO32 },
          },
        },
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
      const b = request.body as CreateBody;
      const created = await deps.createTask({
        spec: b.spec,
        baseReward: BigInt(b.baseReward),
        growthBps: b.growthBps,
        maxParticipants: b.maxParticipants,
        quorum: b.quorum,
        committeeSize: b.committeeSize,
        bond: BigInt(b.bond),
        stakeSlash: BigInt(b.stakeSlash),
        commitSeconds: b.commitSeconds,
        revealSeconds: b.revealSeconds,
        pool: b.pool,
      });
      return reply.status(201).send({ ...created, taskId: created.taskId.toString() });
    },
  );
}

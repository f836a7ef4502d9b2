import type { FromSchema } from 'json-schema-to-ts';

/**
 * JSON Schema fragments shared by the API routes, declared `as const` so the
 * routes' request types are derived from them (`FromSchema`), never declared
 * by hand beside them.
 */

/** The largest uint256. */
const MAX_UINT256 = 2n ** 256n - 1n;

/**
 * Formats the API's validator knows beside the standard ones: `uint256`, a
 * decimal string of at most 2^256 − 1 (a pattern alone cannot bound it).
 */
export const API_FORMATS = {
  uint256: { type: 'string', validate: (s: string) => /^[0-9]{1,78}$/.test(s) && BigInt(s) <= MAX_UINT256 },
} as const;

/** A uint256 as a decimal string. */
export const uintString = { type: 'string', pattern: '^[0-9]{1,78}$', format: 'uint256' } as const;
/** A 32-byte value in hex (a digest, a pool id, a kind id). */
export const hex32 = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } as const;
/** An EVM address. */
export const address = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } as const;

/** The error body every route may answer with (see `ApiErrorBody`). */
export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'type', 'param'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
      },
    },
  },
} as const;

const dependency = (extra: Record<string, unknown>, required: string[] = ['status']) =>
  ({
    type: 'object',
    required,
    properties: { status: { type: 'string', enum: ['ok', 'degraded', 'down'] }, ...extra },
  }) as const;

/** What `/health` checked, per dependency (see `HealthChecks`). */
export const healthChecks = {
  type: 'object',
  required: ['chain', 'peers', 'disk'],
  properties: {
    chain: dependency({
      head: { type: 'string' },
      blockAgeSeconds: { type: 'integer' },
      error: { type: 'string' },
    }),
    peers: dependency({ connected: { type: 'integer' } }, ['status', 'connected']),
    disk: dependency({ freeBytes: { type: 'integer' }, error: { type: 'string' } }),
  },
} as const;

/** The error body of `/health` when a dependency is down: the error plus every check. */
export const healthErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'type', 'param', 'checks'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        checks: healthChecks,
      },
    },
  },
} as const;

/** A task as returned by the task routes (see `TaskView`). */
export const taskView = {
  type: 'object',
  required: ['id', 'kind', 'specDigest', 'state', 'committee', 'commits', 'reveals', 'winner', 'payouts'],
  properties: {
    id: uintString,
    kind: hex32,
    kindName: { type: ['string', 'null'] },
    specDigest: hex32,
    pool: hex32,
    creator: address,
    state: { type: 'string' },
    baseReward: uintString,
    growthBps: { type: 'integer' },
    maxParticipants: { type: 'integer' },
    quorum: { type: 'integer' },
    bond: uintString,
    commitDeadline: { type: 'integer' },
    revealDeadline: { type: 'integer' },
    committee: { type: 'array', items: address },
    commits: { type: 'array', items: address },
    reveals: {
      type: 'array',
      items: { type: 'object', properties: { participant: address, digest: hex32 } },
    },
    winner: { type: ['string', 'null'] },
    payouts: {
      type: 'array',
      items: { type: 'object', properties: { account: address, amount: uintString } },
    },
  },
} as const;

/** The phases a task is in, as the API names them (see `taskPhase`). */
export const TASK_STATES = ['committing', 'revealing', 'finalizable', 'finalized', 'failed'] as const;

/** Largest page of `GET /v1/tasks` (the `limit` pattern spells it). */
export const MAX_TASK_PAGE = 100;

/** Query of `GET /v1/tasks`: filters and page. */
export const taskListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: TASK_STATES },
    kind: {
      description: "A task kind's name, or its on-chain kind id.",
      type: 'string',
      pattern: '^(0x[0-9a-fA-F]{64}|[A-Za-z0-9_.-]{1,64})$',
    },
    pool: hex32,
    creator: address,
    before: { ...uintString, description: "Tasks with ids below this one: the previous page's `next`." },
    limit: {
      description: `Tasks per page, 1 to ${MAX_TASK_PAGE}.`,
      // Digits, not an integer: a query string coerced to a number would admit `1e400` as Infinity.
      type: 'string',
      pattern: '^(100|[1-9][0-9]?)$',
      default: '20',
    },
  },
} as const;

const count = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const;
const seconds = { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 } as const;

/** Body of `POST /v1/tasks`: the spec and terms of a new task, amounts as decimal strings. */
export const createTaskBody = {
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
    pool: {
      ...hex32,
      description: 'The pool (training round) the task belongs to.',
      default: `0x${'0'.repeat(64)}`,
    },
  },
} as const;

/** The JSON a client sends to `POST /v1/tasks` (fields with defaults may be left out). */
export type CreateTaskBody = FromSchema<typeof createTaskBody, { keepDefaultedPropertiesOptional: true }>;

/** `POST /v1/tasks`'s body as the route sees it: validated, defaults filled in. */
export type CreateTaskFields = FromSchema<typeof createTaskBody>;

/** `GET /v1/tasks`'s query as the route sees it: validated, `limit` defaulted. */
export type TaskListFields = FromSchema<typeof taskListQuery>;

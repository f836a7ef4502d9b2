/** JSON Schema fragments shared by the API routes. */

/** A uint256 as a decimal string. */
export const uintString = { type: 'string', pattern: '^[0-9]{1,78}$' } as const;
/** A 32-byte value in hex (a digest, a pool id, a kind id). */
export const hex32 = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } as const;
/** An EVM address. */
export const address = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } as const;

/** The error body every route may answer with. */
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

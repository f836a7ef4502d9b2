import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Hex } from 'viem';
import { BlobNotCheckpointError } from '../../store/errors.ts';
import { TaskSpecError } from '../../tasks/errors.ts';
import { createNodeMetrics } from '../metrics.ts';
import { Secret } from '../secret.ts';
import { ALL_OK_CHECKS } from '../testing/healthChecks.ts';
import { API_BODY_LIMIT, createApi, listenApi } from './createApi.ts';
import { UnknownTaskError } from './errors.ts';
import { inert } from './inert.ts';
import type { NodeApiDeps } from './routeGroups.ts';
import type { CreateTaskRequest } from './types.ts';

// HTTP-surface tests: routing, schemas, auth, limits and the error format.
// The task operations behind the routes are exercised against a real chain
// in the node's integration tests; here they record what reached them.
const TOKEN = 'tok_'.padEnd(43, 'x');
const SECRET_MARKER = 'deadbeefsecretdeadbeef';
const created: CreateTaskRequest[] = [];
const stored: Uint8Array[] = [];
const models: Uint8Array[] = [];

const deps: NodeApiDeps = {
  version: '9.9.9',
  apiToken: new Secret(TOKEN),
  metrics: createNodeMetrics({
    taskStates: () => ({ committed: 2, revealed: 1 }),
    gossip: () => ({ accepted: 3, dropped: 1 }),
  }),
  async health() {
    return {
      peerId: '12D3KooWtest',
      address: '0x00000000000000000000000000000000000000aa',
      chainId: 31337,
      chainHead: 42n,
      checks: ALL_OK_CHECKS,
    };
  },
  async listTasks(query) {
    return { tasks: [], next: query.before === undefined ? null : (query.before - 1n).toString() };
  },
  async getTask(id) {
    if (id === 7n) throw new Error(`internal failure with ${SECRET_MARKER}`);
    throw new UnknownTaskError(`Task ${id} does not exist.`);
  },
  async createTask(request) {
    if (request.spec.kind === 'bogus') throw new TaskSpecError('bad spec');
    created.push(request);
    return { taskId: 5n, specDigest: `0x${'ab'.repeat(32)}` as Hex, txHash: `0x${'cd'.repeat(32)}` as Hex };
  },
  async peers() {
    return [{ peerId: '12D3KooWpeer', addrs: ['/ip4/127.0.0.1/tcp/1'], connected: true, node: true }];
  },
  async putBlob(bytes) {
    stored.push(bytes);
    return `0x${'ef'.repeat(32)}` as Hex;
  },
  async putModel(bytes) {
    if (bytes[0] !== 0x7b) throw new BlobNotCheckpointError('The bytes are not a model checkpoint.');
    models.push(bytes);
    return `0x${'dd'.repeat(32)}` as Hex;
  },
  completions: inert<NodeApiDeps['completions']>('completions', { apiToken: new Secret(TOKEN) }),
};

let app: FastifyInstance;
let base: string;
const internal: unknown[] = [];
before(async () => {
  app = createApi(deps, { blobLimit: 1024, onServerError: (e) => internal.push(e) });
  base = await listenApi(app);
});
after(() => app.close());

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };
const validTask = {
  spec: { kind: 'matvec', kernel: 'concord-k1' },
  baseReward: '1000',
  maxParticipants: 3,
  quorum: 2,
  committeeSize: 3,
  commitSeconds: 60,
  revealSeconds: 60,
};

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  assert.ok(!text.includes('    at '), 'no stack trace in responses');
  assert.ok(!text.includes(TOKEN), 'no token in responses');
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text.startsWith('{') ? JSON.parse(text) : undefined,
  };
}

describe('createApi', () => {
  it('listens on 127.0.0.1 by default', () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('GET /health reports status, version, peer, address and chain head', async () => {
    const { status, body } = await call('/health');
    assert.equal(status, 200);
    assert.deepEqual(body, {
      status: 'ok',
      version: '9.9.9',
      peerId: '12D3KooWtest',
      address: '0x00000000000000000000000000000000000000aa',
      chainId: 31337,
      chainHead: '42',
      checks: ALL_OK_CHECKS,
    });
  });

  it('GET /v1/peers lists peers', async () => {
    const { body } = await call('/v1/peers');
    assert.deepEqual(body.peers, [
      { peerId: '12D3KooWpeer', addrs: ['/ip4/127.0.0.1/tcp/1'], connected: true, node: true },
    ]);
  });

  it('GET /v1/tasks validates the query and applies defaults', async () => {
    assert.deepEqual((await call('/v1/tasks?before=10&limit=5')).body, { tasks: [], next: '9' });
    for (const q of ['limit=0', 'limit=101', 'before=-1', 'pool=0x12', 'creator=abc', 'unknown=1']) {
      const { status, body } = await call(`/v1/tasks?${q}`);
      assert.equal(status, 400, q);
      assert.equal(body.error.code, 'VALIDATION', q);
    }
  });

  it('GET /v1/tasks/:id answers a named error code for an unknown task', async () => {
    const { status, body } = await call('/v1/tasks/123');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'UNKNOWN_TASK');
    assert.equal((await call('/v1/tasks/12x')).body.error.code, 'VALIDATION');
  });

  it('hides internal errors behind INTERNAL and reports them to the node', async () => {
    const { status, body, text } = await call('/v1/tasks/7');
    assert.equal(status, 500);
    assert.equal(body.error.code, 'INTERNAL');
    assert.ok(!text.includes(SECRET_MARKER));
    assert.ok(internal.length > 0);
  });

  it('POST /v1/tasks needs the bearer token', async () => {
    const body = JSON.stringify(validTask);
    for (const headers of [
      json,
      { ...json, authorization: 'Bearer wrong' },
      { ...json, authorization: TOKEN },
    ]) {
      const res = await call('/v1/tasks', { method: 'POST', headers, body });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal(created.length, 0);
  });

  it('POST /v1/tasks creates a task with defaults filled in', async () => {
    const res = await call('/v1/tasks', {
      method: 'POST',
      headers: { ...json, ...auth },
      body: JSON.stringify(validTask),
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      taskId: '5',
      specDigest: `0x${'ab'.repeat(32)}`,
      txHash: `0x${'cd'.repeat(32)}`,
    });
    const req = created.at(-1)!;
    assert.equal(req.baseReward, 1000n);
    assert.equal(req.bond, 0n);
    assert.equal(req.growthBps, 0);
    assert.equal(req.pool, `0x${'0'.repeat(64)}`);
  });

  it('POST /v1/tasks rejects invalid bodies with VALIDATION', async () => {
    const bad = [
      { ...validTask, quorum: 0 },
      { ...validTask, baseReward: '-1' },
      { ...validTask, baseReward: '1e3' },
      { ...validTask, extra: true },
      { ...validTask, spec: { kernel: 'x' } },
      { ...validTask, pool: '0x1234' },
      (({ commitSeconds: _, ...rest }) => rest)(validTask),
    ];
    for (const b of bad) {
      const res = await call('/v1/tasks', {
        method: 'POST',
        headers: { ...json, ...auth },
        body: JSON.stringify(b),
      });
      assert.equal(res.status, 400, JSON.stringify(b));
      assert.equal(res.body.error.code, 'VALIDATION');
    }
    const broken = await call('/v1/tasks', {
      method: 'POST',
      headers: { ...json, ...auth },
      body: '{"spec":',
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'INVALID_JSON');
  });

  it('answers a named error of the operation with its stable code', async () => {
    const body = JSON.stringify({ ...validTask, spec: { kind: 'bogus' } });
    const res = await call('/v1/tasks', { method: 'POST', headers: { ...json, ...auth }, body });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'TASK_SPEC');
  });

  it('rejects bodies over the limit before parsing', async () => {
    const body = JSON.stringify({ ...validTask, spec: { kind: 'matvec', pad: 'x'.repeat(API_BODY_LIMIT) } });
    const res = await call('/v1/tasks', { method: 'POST', headers: { ...json, ...auth }, body });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('PUT /v1/blobs stores raw bytes with the token, within the blob limit', async () => {
    const octet = { 'content-type': 'application/octet-stream' };
    const ok = await call('/v1/blobs', {
      method: 'PUT',
      headers: { ...octet, ...auth },
      body: new Uint8Array([1, 2, 3]),
    });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, { digest: `0x${'ef'.repeat(32)}`, size: 3 });
    assert.deepEqual([...stored.at(-1)!], [1, 2, 3]);
    const big = await call('/v1/blobs', {
      method: 'PUT',
      headers: { ...octet, ...auth },
      body: new Uint8Array(1025),
    });
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const anon = await call('/v1/blobs', { method: 'PUT', headers: octet, body: new Uint8Array(1) });
    assert.equal(anon.body.error.code, 'UNAUTHORIZED');
    assert.equal(stored.length, 1);
  });

  it('PUT /v1/blobs?as=model stores a checkpoint as a model; other bytes are a named 400', async () => {
    const put = async (query: string, body: Uint8Array) =>
      await call(`/v1/blobs${query}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...auth },
        body,
      });
    const ok = await put('?as=model', new Uint8Array([0x7b, 0x7d]));
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, { digest: `0x${'dd'.repeat(32)}`, size: 2 });
    assert.deepEqual([...models.at(-1)!], [0x7b, 0x7d]);
    const junk = await put('?as=model', new Uint8Array([1, 2]));
    assert.equal(junk.status, 400);
    assert.equal(junk.body.error.code, 'BLOB_NOT_CHECKPOINT');
    const bogus = await put('?as=weights', new Uint8Array([0x7b]));
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.error.code, 'VALIDATION');
    assert.equal(models.length, 1);
  });

  it('answers unknown routes with NOT_FOUND', async () => {
    const res = await call('/v1/nothing');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
  });

  it('GET /metrics renders Prometheus text with tasks by state and errors by code', async () => {
    const res = await call('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(res.text, /concord_tasks\{state="committed"\} 2/);
    assert.match(res.text, /concord_errors_total\{code="UNAUTHORIZED"\} [1-9]/);
    assert.match(res.text, /concord_errors_total\{code="VALIDATION"\} [1-9]/);
    assert.match(res.text, /concord_commits_total 0/);
    assert.match(res.text, /concord_gossip_messages_total\{result="dropped"\} 1/);
    assert.match(res.text, /concord_blob_bytes_served_total 0/);
  });
});

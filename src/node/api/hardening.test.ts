import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Hex } from 'viem';
import type { Interfaces } from '../../core/netHosts.ts';
import { createNodeMetrics } from '../metrics.ts';
import { Secret } from '../secret.ts';
import { ALL_OK_CHECKS } from '../testing/healthChecks.ts';
import { createApi, listenApi } from './createApi.ts';
import { UnknownTaskError } from './errors.ts';
import { allowedHosts, hostName } from './hostAllowlist.ts';
import { inert } from './inert.ts';
import type { NodeApiDeps } from './routeGroups.ts';

// Malformed input of every kind answers 4xx in the documented error shape,
// never 500; the Host allowlist and the 431 of oversized headers are checked
// over a listening socket, as a browser or a proxy would meet them.
const TOKEN = 'tok_'.padEnd(43, 'h');
const MAX_UINT = (2n ** 256n - 1n).toString();
const OVER_UINT = (2n ** 256n).toString();
const getTaskIds: bigint[] = [];

const deps: NodeApiDeps = {
  version: '1.2.3',
  apiToken: new Secret(TOKEN),
  metrics: createNodeMetrics(),
  health: async () => ({
    peerId: 'p',
    address: `0x${'aa'.repeat(20)}`,
    chainId: 1,
    chainHead: 1n,
    checks: ALL_OK_CHECKS,
  }),
  listTasks: async () => ({ tasks: [], next: null }),
  getTask: async (id) => {
    getTaskIds.push(id);
    throw new UnknownTaskError(`Task ${id} does not exist.`);
  },
  createTask: async () => ({
    taskId: 1n,
    specDigest: `0x${'ab'.repeat(32)}`,
    txHash: `0x${'cd'.repeat(32)}`,
  }),
  peers: async () => [],
  putBlob: async () => `0x${'ef'.repeat(32)}` as Hex,
  putModel: async () => `0x${'dd'.repeat(32)}` as Hex,
  completions: inert<NodeApiDeps['completions']>('completions', { apiToken: new Secret(TOKEN) }),
};

let app: FastifyInstance;
let base: string;
let port: number;
const serverErrors: unknown[] = [];
before(async () => {
  app = createApi(deps, {
    maxHeaderBytes: 4096,
    allowedHosts: allowedHosts('127.0.0.1', ['node.example', '[fd00::1]']),
    onServerError: (err) => serverErrors.push(err),
  });
  base = await listenApi(app);
  port = Number(new URL(base).port);
});
after(() => app.close());

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

/** One request over a socket with exactly these headers (fetch would not send a foreign `Host`). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? JSON.parse(text) : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asserts the documented error shape: `{ error: { code, message, type, param } }`
 * and nothing the API does not document.
 */
function assertErrorShape(answer: Answer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  const body = answer.body as { error?: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['error'], what);
  assert.equal(body.error?.code, code, what);
  assert.equal(typeof body.error?.message, 'string', what);
  assert.equal(typeof body.error?.type, 'string', what);
  assert.ok(body.error?.param === null || typeof body.error?.param === 'string', `${what}: param`);
  for (const key of Object.keys(body.error ?? {})) {
    assert.ok(['code', 'message', 'type', 'param', 'checks'].includes(key), `${what}: undocumented ${key}`);
  }
  assert.match(String(answer.headers['content-type']), /^application\/json/, what);
}

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };
const task = {
  spec: { kind: 'matvec' },
  baseReward: '1',
  maxParticipants: 3,
  quorum: 2,
  committeeSize: 3,
  commitSeconds: 60,
  revealSeconds: 60,
};
const signed = {
  request: {
    querier: `0x${'11'.repeat(20)}`,
    gateway: `0x${'22'.repeat(20)}`,
    modelId: '1',
    versionIndex: '0',
    creditsPerToken: '1',
    maxCredits: '100',
    nonce: OVER_UINT,
    deadline: '9999999999',
  },
  signature: `0x${'33'.repeat(65)}`,
};

describe('malformed ids and parameters', () => {
  // [method, path, headers, body, status, code]
  const table: [string, string, Record<string, string>, unknown, number, string][] = [
    ['GET', `/v1/tasks/${OVER_UINT}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks/${'9'.repeat(78)}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/-1', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/abc', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/1.5', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/0x10', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/%20', {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks/${encodeURIComponent('٣')}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks/${encodeURIComponent('１')}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks/${encodeURIComponent('💥')}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks/%E0%A4%A', {}, undefined, 400, 'BAD_URL'],
    ['GET', `/v1/tasks/${'1'.repeat(500)}`, {}, undefined, 414, 'URI_TOO_LONG'],
    ['GET', '/v1/tasks?limit=0', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=-1', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=101', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=05', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=1.0', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=1&limit=2', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=abc', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?limit=1e400', {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks?limit=${'9'.repeat(40)}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks?before=${OVER_UINT}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?before=-5', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?before=', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?state=nonsense', {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks?kind=${encodeURIComponent('tr ain')}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', `/v1/tasks?kind=0x${'g'.repeat(64)}`, {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?pool=0x12', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?creator=nobody', {}, undefined, 400, 'VALIDATION'],
    ['GET', '/v1/tasks?surprise=1', {}, undefined, 400, 'VALIDATION'],
    [
      'PUT',
      '/v1/blobs?as=weights',
      { ...auth, 'content-type': 'application/octet-stream' },
      'x',
      400,
      'VALIDATION',
    ],
    ['PUT', '/v1/blobs', { ...auth, ...json }, '{}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['POST', '/v1/tasks', { ...auth, ...json }, { ...task, baseReward: OVER_UINT }, 400, 'VALIDATION'],
    ['POST', '/v1/tasks', { ...auth, ...json }, { ...task, bond: '-1' }, 400, 'VALIDATION'],
    ['POST', '/v1/tasks', { ...auth, ...json }, { ...task, quorum: 2 ** 53 }, 400, 'VALIDATION'],
    ['POST', '/v1/tasks', { ...auth, ...json }, '{"spec":', 400, 'INVALID_JSON'],
    ['POST', '/v1/tasks', { ...auth, ...json }, '', 400, 'INVALID_JSON'],
    ['POST', '/v1/tasks', { ...auth, 'content-type': 'text/plain' }, 'hi', 400, 'VALIDATION'],
    [
      'POST',
      '/v1/tasks',
      { ...auth, 'content-type': 'application/xml' },
      '<a/>',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['POST', '/v1/completions', json, { concord: signed }, 400, 'INVALID_REQUEST'],
    ['POST', '/v1/chat/completions', json, { messages: [], concord: signed }, 400, 'INVALID_REQUEST'],
    ['GET', '/v1/nothing', {}, undefined, 404, 'NOT_FOUND'],
    ['DELETE', '/v1/tasks', {}, undefined, 404, 'NOT_FOUND'],
  ];

  for (const [method, path, headers, body, status, code] of table) {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    it(`${method} ${path.slice(0, 60)} ${(payload ?? '').slice(0, 40)} → ${status} ${code}`, async () => {
      assertErrorShape(await send(method, path, headers, payload), status, code, `${method} ${path}`);
    });
  }

  it('names the field at fault in param, with the type of a bad request', async () => {
    const cases: [string, string, Record<string, string>, unknown, string, string][] = [
      ['GET', '/v1/tasks?limit=abc', {}, undefined, 'VALIDATION', 'limit'],
      [
        'POST',
        '/v1/tasks',
        { ...auth, ...json },
        { ...task, baseReward: OVER_UINT },
        'VALIDATION',
        'baseReward',
      ],
      ['POST', '/v1/tasks', { ...auth, ...json }, { ...task, quorum: '2' }, 'VALIDATION', 'quorum'],
      ['POST', '/v1/completions', json, { concord: signed }, 'INVALID_REQUEST', 'concord.request.nonce'],
      [
        'POST',
        '/v1/chat/completions',
        json,
        { messages: [{ role: 'user', content: null }] },
        'INVALID_REQUEST',
        'messages[0].content',
      ],
    ];
    for (const [method, path, headers, body, code, param] of cases) {
      const answer = await send(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
      assertErrorShape(answer, 400, code, `${method} ${path}`);
      const { error } = answer.body as { error: { type: string; param: string | null } };
      assert.deepEqual([error.type, error.param], ['invalid_request_error', param], `${method} ${path}`);
    }
  });

  it('admits the largest uint256 as far as the operation (which does not know the task)', async () => {
    assertErrorShape(await send('GET', `/v1/tasks/${MAX_UINT}`), 404, 'UNKNOWN_TASK', 'max uint');
    assert.equal(getTaskIds.at(-1), 2n ** 256n - 1n);
  });

  it('never answered a server error', () => {
    assert.deepEqual(serverErrors, []);
  });
});

describe('limits answered in the error shape', () => {
  it('431 HEADERS_TOO_LARGE for a request head over the limit, written before fastify sees it', async () => {
    const answer = await send('GET', '/health', { 'x-padding': 'p'.repeat(8192) });
    assertErrorShape(answer, 431, 'HEADERS_TOO_LARGE', 'oversized header');
  });

  it('413 PAYLOAD_TOO_LARGE for a JSON body over the limit', async () => {
    const big = JSON.stringify({ ...task, spec: { kind: 'x', pad: 'p'.repeat(300 * 1024) } });
    assertErrorShape(
      await send('POST', '/v1/tasks', { ...auth, ...json }, big),
      413,
      'PAYLOAD_TOO_LARGE',
      '413',
    );
  });
});

describe('the Host allowlist', () => {
  for (const host of [
    'localhost',
    'localhost:8080',
    '127.0.0.1:1',
    '[::1]:65535',
    'LOCALHOST',
    'node.example',
    'node.example:443',
    '[fd00::1]:80',
  ]) {
    it(`answers Host ${host}`, async () => {
      assert.equal((await send('GET', '/health', { host })).status, 200);
    });
  }

  for (const host of [
    'evil.example',
    'localhost.evil.example',
    '127.0.0.2',
    '[::2]',
    'node.example.',
    '0.0.0.0',
    'xn--lcalhost-0za',
  ]) {
    it(`refuses Host ${host} with 421 HOST_NOT_ALLOWED, on public and unknown routes alike`, async () => {
      assertErrorShape(await send('GET', '/health', { host }), 421, 'HOST_NOT_ALLOWED', host);
      assertErrorShape(await send('GET', '/v1/nothing', { host }), 421, 'HOST_NOT_ALLOWED', host);
    });
  }

  it("adds the bind address, or for a wildcard bind the machine's interface addresses, and parses ports off names", () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      eth0: [
        { address: '10.0.0.7', family: 'IPv4', internal: false },
        { address: 'fd00::7', family: 'IPv6', internal: false },
      ],
    } as unknown as Interfaces;
    assert.deepEqual(allowedHosts('0.0.0.0', [], interfaces), [
      'localhost',
      '127.0.0.1',
      '[::1]',
      '10.0.0.7',
    ]);
    assert.deepEqual(allowedHosts('::', [], interfaces), [
      'localhost',
      '127.0.0.1',
      '[::1]',
      '10.0.0.7',
      '[fd00::7]',
    ]);
    assert.deepEqual(allowedHosts('10.0.0.5', ['Node.Example']), [
      'localhost',
      '127.0.0.1',
      '[::1]',
      '10.0.0.5',
      'node.example',
    ]);
    assert.deepEqual(allowedHosts('fd00::2'), ['localhost', '127.0.0.1', '[::1]', '[fd00::2]']);
    assert.equal(hostName('[::1]:8080'), '[::1]');
    assert.equal(hostName('Example.COM:80'), 'example.com');
  });
});

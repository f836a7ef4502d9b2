import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Hex } from 'viem';
import { createNodeMetrics } from '../metrics.ts';
import { Secret } from '../secret.ts';
import { ALL_OK_CHECKS } from '../testing/healthChecks.ts';
import { requireApiToken } from './auth.ts';
import { createApi } from './createApi.ts';
import { UnknownTaskError } from './errors.ts';
import { inert } from './inert.ts';
import {
  API_TOKEN_SCHEME,
  buildOpenApiDocument,
  collectRoutes,
  type OpenApiDocument,
  openApiPath,
  openApiProblems,
} from './openapi.ts';
import type { NodeApiDeps } from './routeGroups.ts';
import { API_FORMATS, errorBody, taskView, uintString } from './schemas.ts';

const TOKEN = 'tok_'.padEnd(43, 'y');

function assertWellFormed(doc: OpenApiDocument): void {
  assert.deepEqual(openApiProblems(doc), []);
}

async function documentOf(register: (app: FastifyInstance) => void): Promise<OpenApiDocument> {
  const app = Fastify({ ajv: { customOptions: { formats: API_FORMATS } } });
  const routes = collectRoutes(app);
  register(app);
  await app.ready();
  await app.close();
  return buildOpenApiDocument(routes, { version: '1.2.3' });
}

describe('buildOpenApiDocument', () => {
  it('turns params, query, body and responses into an OpenAPI operation', async () => {
    const doc = await documentOf((app) => {
      app.post(
        '/v1/things/:id',
        {
          schema: {
            summary: 'Change a thing',
            params: { type: 'object', required: ['id'], properties: { id: uintString } },
            querystring: {
              type: 'object',
              required: ['mode'],
              properties: { mode: { type: 'string', description: 'how' }, dry: { type: 'boolean' } },
            },
            body: { type: 'object', properties: { name: { type: 'string' } } },
            response: { 201: { type: 'object', properties: { ok: { type: 'boolean' } } }, '4xx': errorBody },
          },
        },
        async () => ({ ok: true }),
      );
    });
    const op = doc.paths['/v1/things/{id}']?.post;
    assert.ok(op);
    assert.equal(op.operationId, 'postThingsById');
    assert.deepEqual(op.tags, ['things']);
    assert.equal(op.summary, 'Change a thing');
    assert.equal(op.security, undefined, 'no guard, no security requirement');
    assert.deepEqual(op.parameters, [
      { name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Uint' } },
      {
        name: 'mode',
        in: 'query',
        required: true,
        schema: { type: 'string', description: 'how' },
        description: 'how',
      },
      { name: 'dry', in: 'query', required: false, schema: { type: 'boolean' } },
    ]);
    assert.deepEqual(op.requestBody, {
      required: true,
      content: {
        'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    });
    assert.deepEqual(Object.keys(op.responses), ['201', '4XX', '5XX']);
    assert.deepEqual(op.responses['4XX']?.content, {
      'application/json': { schema: { $ref: '#/components/schemas/Error' } },
    });
    assert.deepEqual(doc.tags, [{ name: 'things' }]);
    assertWellFormed(doc);
  });

  it('marks routes behind requireApiToken with the bearer scheme and a 401', async () => {
    const guard = requireApiToken(new Secret(TOKEN));
    const doc = await documentOf((app) => {
      app.put('/v1/guarded', { preHandler: guard }, async () => ({}));
      app.put('/v1/guarded-list', { preHandler: [async () => undefined, guard] }, async () => ({}));
      app.put('/v1/guarded-early', { onRequest: guard }, async () => ({}));
      app.put('/v1/open', { preHandler: async () => undefined }, async () => ({}));
      app.post('/v1/either', { schema: { security: [{}, { [API_TOKEN_SCHEME]: [] }] } }, async () => ({}));
    });
    for (const path of ['/v1/guarded', '/v1/guarded-list', '/v1/guarded-early']) {
      const op = doc.paths[path]?.put;
      assert.deepEqual(op?.security, [{ [API_TOKEN_SCHEME]: [] }], path);
      assert.ok(op?.responses['401'], `${path} documents its 401`);
    }
    assert.equal(doc.paths['/v1/open']?.put?.security, undefined);
    assert.deepEqual(doc.paths['/v1/either']?.post?.security, [{}, { [API_TOKEN_SCHEME]: [] }]);
    assert.deepEqual(doc.components.securitySchemes[API_TOKEN_SCHEME], {
      type: 'http',
      scheme: 'bearer',
      description: "The node's API token, made at first start in <data dir>/api-token (mode 0600).",
    });
  });

  it('writes shared schemas once as components and keeps per-type content as declared', async () => {
    const doc = await documentOf((app) => {
      app.get(
        '/v1/items',
        { schema: { response: { 200: { type: 'array', items: taskView } } } },
        async () => [],
      );
      app.get(
        '/v1/stream',
        {
          schema: {
            response: {
              200: {
                description: 'events',
                content: { 'text/event-stream': { schema: { type: 'string' } } },
              },
            },
          },
        },
        async () => '',
      );
      app.put('/v1/raw', { schema: { consumes: ['application/octet-stream'] } }, async () => ({}));
      app.get(
        '/v1/described',
        { schema: { response: { 200: { description: 'free-form' } } } },
        async () => ({}),
      );
    });
    assert.deepEqual(doc.paths['/v1/items']?.get?.responses['200']?.content?.['application/json']?.schema, {
      type: 'array',
      items: { $ref: '#/components/schemas/Task' },
    });
    assert.deepEqual(doc.paths['/v1/stream']?.get?.responses['200'], {
      description: 'events',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    });
    assert.deepEqual(doc.paths['/v1/described']?.get?.responses['200'], { description: 'free-form' });
    assert.deepEqual(doc.paths['/v1/raw']?.put?.requestBody, {
      required: true,
      content: { 'application/octet-stream': {} },
    });
    assert.equal(
      (doc.components.schemas.Task as { type: string }).type,
      'object',
      'a component is written out, not a reference to itself',
    );
    assertWellFormed(doc);
  });

  it('leaves out HEAD routes, includes plugin routes with their prefix, and sorts paths', async () => {
    const doc = await documentOf((app) => {
      app.get('/zeta', async () => ({}));
      app.register(
        async (sub) => {
          sub.get('/alpha/:name', async () => ({}));
        },
        { prefix: '/v1/plug' },
      );
      app.route({ method: ['GET', 'DELETE'], url: '/v1/multi', handler: async () => ({}) });
    });
    assert.deepEqual(Object.keys(doc.paths), ['/v1/multi', '/v1/plug/alpha/{name}', '/zeta']);
    assert.deepEqual(Object.keys(doc.paths['/v1/multi'] ?? {}), ['get', 'delete']);
    assert.ok(!JSON.stringify(doc).includes('"head"'));
    assert.equal(doc.paths['/zeta']?.get?.operationId, 'getZeta');
    assert.deepEqual(doc.paths['/zeta']?.get?.tags, ['node']);
    assertWellFormed(doc);
  });

  it('openApiProblems names mismatched path parameters, duplicate ids, unknown schemes and dangling refs', async () => {
    const doc = await documentOf((app) => {
      app.get('/v1/a/:id', { schema: { operationId: 'same' } }, async () => ({}));
      app.get('/v1/b', { schema: { operationId: 'same', security: [{ nope: [] }] } }, async () => ({}));
    });
    assert.deepEqual(openApiProblems(doc), [
      'GET /v1/b: operationId same is used twice.',
      'GET /v1/b: unknown security scheme nope.',
    ]);
    const op = doc.paths['/v1/a/{id}']?.get;
    assert.ok(op);
    op.parameters = [];
    op.responses = {
      '200': {
        description: 'x',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Gone' } } },
      },
    };
    const problems = openApiProblems(doc);
    assert.ok(
      problems.includes("GET /v1/a/{id}: path parameters [] do not match the path's [id]."),
      problems.join('\n'),
    );
    assert.ok(problems.includes('$ref Gone does not resolve.'), problems.join('\n'));
  });

  it('documents exactly the routes registered, well-formed, whatever their paths and methods', async () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const route = fc.record({
      parts: fc.array(fc.tuple(fc.boolean(), segment), { minLength: 1, maxLength: 4 }),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      declareParams: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(route, { minLength: 1, maxLength: 8 }), async (routes) => {
        const registered = new Map<string, (typeof routes)[number]>();
        for (const r of routes) {
          // Distinct parameter names per path, as fastify requires.
          const url = r.parts.map(([param, s], i) => (param ? `/:${s}${i}` : `/${s}`)).join('');
          const shape = url.replace(/:[^/]+/g, ':');
          if (![...registered.keys()].some((k) => k.split(' ')[1]?.replace(/:[^/]+/g, ':') === shape)) {
            registered.set(`${r.method} ${url}`, r);
          }
        }
        const doc = await documentOf((app) => {
          for (const [key, r] of registered) {
            const [method, url] = key.split(' ') as [string, string];
            const names = [...url.matchAll(/:([^/]+)/g)].map((m) => m[1] ?? '');
            const params = {
              type: 'object',
              properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])),
            };
            app.route({
              method,
              url,
              ...(r.declareParams ? { schema: { params } } : {}),
              handler: async () => ({}),
            });
          }
        });
        assert.deepEqual(openApiProblems(doc), []);
        const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
        );
        assert.deepEqual(documented.sort(), [...registered.keys()].map((k) => openApiPath(k)).sort());
      }),
      { numRuns: 40 },
    );
  });

  it('openApiPath turns every :param (with or without a regex) into {param}', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), segment), { minLength: 1, maxLength: 6 }), (parts) => {
        const fastifyPath = parts.map(([param, s]) => (param ? `/:${s}` : `/${s}`)).join('');
        const regexPath = parts.map(([param, s]) => (param ? `/:${s}(^\\d+)` : `/${s}`)).join('');
        const expected = parts.map(([param, s]) => (param ? `/{${s}}` : `/${s}`)).join('');
        assert.equal(openApiPath(fastifyPath), expected);
        assert.equal(openApiPath(regexPath), expected);
      }),
    );
  });
});

describe('GET /openapi.json on createApi', () => {
  const deps: NodeApiDeps = {
    version: '7.7.7',
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
      throw new UnknownTaskError(`Task ${id} does not exist.`);
    },
    createTask: async () => ({
      taskId: 1n,
      specDigest: `0x${'ab'.repeat(32)}` as Hex,
      txHash: `0x${'cd'.repeat(32)}` as Hex,
    }),
    peers: async () => [],
    putBlob: async () => `0x${'ef'.repeat(32)}` as Hex,
    putModel: async () => `0x${'dd'.repeat(32)}` as Hex,
    completions: inert<NodeApiDeps['completions']>('completions', { apiToken: new Secret(TOKEN) }),
  };

  it('is public and documents every route, including ones added after createApi returned', async () => {
    const app = createApi(deps);
    app.get('/v1/late/:id', { schema: { summary: 'added by an extension' } }, async () => ({}));
    try {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json() as OpenApiDocument;
      assert.equal(doc.info.version, '7.7.7');
      for (const [path, method] of [
        ['/health', 'get'],
        ['/metrics', 'get'],
        ['/openapi.json', 'get'],
        ['/v1/peers', 'get'],
        ['/v1/tasks', 'get'],
        ['/v1/tasks', 'post'],
        ['/v1/tasks/{id}', 'get'],
        ['/v1/blobs', 'put'],
        ['/v1/late/{id}', 'get'],
      ] as const) {
        assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
      }
      assertWellFormed(doc);
      const again = await app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(again.body, res.body, 'the document is stable');
    } finally {
      await app.close();
    }
  });

  it('claims the API token exactly on the routes that refuse a request without it', async () => {
    const app = createApi(deps);
    try {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDocument;
      let guarded = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const url = path.replace(/\{[^}]+\}/g, '1');
          const res = await app.inject({ method: method.toUpperCase() as 'GET', url, payload: {} });
          const claimsToken = op.security?.some(
            (r) => API_TOKEN_SCHEME in r && !op.security?.some((o) => Object.keys(o).length === 0),
          );
          assert.equal(
            res.statusCode === 401,
            claimsToken === true,
            `${method.toUpperCase()} ${path} -> ${res.statusCode}`,
          );
          if (claimsToken) guarded++;
        }
      }
      assert.equal(guarded, 2, 'POST /v1/tasks and PUT /v1/blobs');
    } finally {
      await app.close();
    }
  });
});

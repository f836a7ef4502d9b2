import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inert } from '../node/api/inert.ts';
import { type OpenApiDocument, openApiProblems } from '../node/api/openapi.ts';
import type { ApiDeps } from '../node/api/types.ts';
import { generateOpenApiReference, OPENAPI_FILE } from './openApiReference.ts';

describe('generateOpenApiReference', () => {
  it('matches the committed docs/openapi.json (run `npm run docs:api` after changing a route)', async () => {
    const generated = await generateOpenApiReference();
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {}
    assert.ok(committed === generated, 'docs/openapi.json is stale: run `npm run docs:api` and commit it');
  });

  it("documents a full node's routes, well-formed, with the token on state-changing ones", async () => {
    const doc = JSON.parse(await generateOpenApiReference()) as OpenApiDocument;
    assert.deepEqual(openApiProblems(doc), []);
    for (const path of [
      '/health',
      '/v1/tasks',
      '/v1/models',
      '/v1/completions',
      '/v1/chat/completions',
      '/',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    assert.deepEqual(doc.paths['/v1/tasks']?.post?.security, [{ apiToken: [] }]);
    assert.equal(doc.paths['/v1/tasks']?.get?.security, undefined);
  });

  it('includes the routes of extra extensions', async () => {
    const doc = JSON.parse(
      await generateOpenApiReference([
        (app) => app.get('/v1/extra/:thing', { schema: { summary: 'an extension route' } }, async () => ({})),
      ]),
    ) as OpenApiDocument;
    assert.equal(doc.paths['/v1/extra/{thing}']?.get?.summary, 'an extension route');
    assert.equal(doc.paths['/'], undefined, 'only the extensions given are mounted');
  });

  it('builds the app from stand-in dependencies that refuse every call', async () => {
    const deps = inert<ApiDeps>('api', { version: '1.0.0' });
    assert.equal(deps.version, '1.0.0');
    assert.throws(() => deps.peers(), {
      name: 'ApiReferenceCallError',
      message: /api\.peers\(\) was called/,
    });
    const nested = inert<{ models: { resolve(): unknown } }>('c');
    assert.throws(() => nested.models.resolve(), {
      name: 'ApiReferenceCallError',
      message: /c\.models\.resolve/,
    });
    assert.equal((deps as unknown as { then?: unknown }).then, undefined, 'not mistaken for a promise');
  });
});

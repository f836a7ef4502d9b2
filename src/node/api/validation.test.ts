import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { apiValidationOptions } from './validation.ts';

describe('apiValidationOptions', () => {
  it('validates JSON bodies without coercion, and still converts querystrings', async () => {
    const app = Fastify({ logger: false, ...apiValidationOptions() });
    const n = { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } } } as const;
    app.post('/x', { schema: { body: n, querystring: n } }, async (request) => ({
      body: request.body,
      query: request.query,
    }));
    const post = (payload: unknown, query = '') =>
      app.inject({ method: 'POST', url: `/x${query}`, payload: payload as object });
    for (const payload of [{ n: '2' }, { n: true }, { n: null }, { s: null }, { s: 5 }]) {
      assert.equal((await post(payload)).statusCode, 400, JSON.stringify(payload));
    }
    const ok = await post({ n: 2, s: 'a' }, '?n=3');
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { body: { n: 2, s: 'a' }, query: { n: 3 } });
    await app.close();
  });
});

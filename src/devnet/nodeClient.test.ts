import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { freePort } from '../chain/anvil.ts';
import { NodeClient } from './nodeClient.ts';
import { resolveNode } from './target.ts';

// A stand-in HTTP server with the node API's error shape and bearer check.
let app: FastifyInstance;
let url: string;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-client-'));
  app = Fastify();
  app.post('/v1/tasks', async (request, reply) => {
    if (request.headers.authorization !== 'Bearer secret') {
      return reply
        .status(401)
        .send({ error: { code: 'UNAUTHORIZED', message: 'Missing or wrong API token.' } });
    }
    return reply.status(201).send({ taskId: '9', specDigest: '0x01', txHash: '0x02', body: request.body });
  });
  app.get('/v1/tasks', async (request) => ({ tasks: [], next: null, query: request.query }));
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = {
  spec: { kind: 'matvec' },
  baseReward: '1',
  maxParticipants: 1,
  quorum: 1,
  committeeSize: 1,
  commitSeconds: 1,
  revealSeconds: 1,
};

describe('NodeClient', () => {
  it('sends the bearer token on writes and the filters as a query string', async () => {
    const created = await new NodeClient(url, 'secret').createTask(body);
    assert.equal(created.taskId, '9');
    const page = (await new NodeClient(url).tasks({
      state: 'finalized',
      limit: 5,
      kind: undefined,
    })) as unknown as {
      query: Record<string, string>;
    };
    assert.deepEqual(page.query, { state: 'finalized', limit: '5' });
  });

  it('turns an API error into NodeApiError that says where the token is', async () => {
    await assert.rejects(new NodeClient(url).createTask(body), (err: Error) => {
      assert.equal(err.name, 'NodeApiError');
      assert.match(err.message, /HTTP 401 UNAUTHORIZED/);
      assert.match(err.message, /api-token/);
      return true;
    });
  });

  it('names a node that does not answer', async () => {
    const port = await freePort();
    await assert.rejects(new NodeClient(`http://127.0.0.1:${port}`).task(1n), {
      name: 'NodeUnreachableError',
    });
  });

  it('resolveNode takes --node with --token-file, and needs a devnet otherwise', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'secret\n');
    const client = resolveNode({ node: `${url}/`, tokenFile });
    assert.equal(client.baseUrl, url);
    assert.equal((await client.createTask(body)).taskId, '9');
    assert.throws(() => resolveNode({ dir: join(dir, 'none') }), { name: 'DevnetNotFoundError' });
  });
});

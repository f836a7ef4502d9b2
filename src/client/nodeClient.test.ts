import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { freePort } from '../chain/anvil.ts';
import { waitForModelReady } from '../devnet/askDemo.ts';
import { SSE_DONE_EVENT, sseEvent } from '../node/inference/sse.ts';
import { type CompletionChunk, type ModelListEntry, NodeClient } from './nodeClient.ts';
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
  let polls = 0;
  app.get('/v1/models', async () => {
    polls++;
    return {
      object: 'list',
      data: [
        model('concord-char', '1', polls < 3 ? 'loading' : 'ready'),
        model('broken', '0', 'failed', 'no hosts'),
      ],
    };
  });
  app.post('/v1/completions', async (request, reply) => {
    const { stream, prompt } = request.body as { stream: boolean; prompt: string };
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [i, text] of [...prompt].entries()) {
      reply.raw.write(sseEvent(chunk(text, null, { token: i, agreed: [], outvoted: [] })));
    }
    if (prompt === 'fail') {
      const error = { code: 'HOSTS_UNAVAILABLE', message: 'The hosts could not compute the answer.' };
      reply.raw.end(sseEvent({ error }) + SSE_DONE_EVENT);
      return reply;
    }
    reply.raw.write(sseEvent(chunk('', 'length', { session: `0x${'ab'.repeat(32)}`, settlement: null })));
    reply.raw.write(SSE_DONE_EVENT);
    reply.raw.end(sseEvent(chunk(`after done, stream=${stream}`, null, {})));
    return reply;
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

function model(id: string, versionIndex: string, state: string, error?: string): ModelListEntry {
  return {
    id,
    object: 'model',
    created: 0,
    owned_by: 'concord',
    concord: {
      modelId: '1',
      versionIndex,
      name: id,
      digest: `0x${'00'.repeat(32)}`,
      state: state as ModelListEntry['concord']['state'],
      ...(error === undefined ? {} : { error }),
      replicas: 3,
      hostedShards: 4,
      hostedBytes: 4096,
      hosts: [],
      creditsPerToken: '1',
      gateway: `0x${'11'.repeat(20)}`,
    },
  };
}

function chunk(
  text: string,
  finish: string | null,
  concord: NonNullable<CompletionChunk['concord']>,
): CompletionChunk {
  return { object: 'text_completion', choices: [{ index: 0, text, finish_reason: finish }], concord };
}

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

  it('waits until the model version is ready, and gives up at once on a failed one or a missing route', async () => {
    const client = new NodeClient(url);
    const ready = await waitForModelReady(client, 'concord-char', 1n, 10_000);
    assert.equal(ready.concord.state, 'ready');
    await assert.rejects(waitForModelReady(client, 'broken', 0n, 10_000), (err: Error) => {
      assert.equal(err.name, 'DevnetModelNotReadyError');
      assert.match(err.message, /failed \(no hosts\)/);
      return true;
    });
    await assert.rejects(waitForModelReady(new NodeClient(`${url}/elsewhere`), 'concord-char', 1n, 60_000), {
      name: 'NodeApiError',
      status: 404,
    });
  });

  it('streams completion chunks as they arrive, up to [DONE]', async () => {
    const chunks: CompletionChunk[] = [];
    for await (const c of new NodeClient(url).streamCompletion({ model: 'concord-char', prompt: 'abc' }))
      chunks.push(c);
    assert.deepEqual(
      chunks.map((c) => c.choices[0]?.text),
      ['a', 'b', 'c', ''],
    );
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length');
    assert.equal(chunks.at(-1)?.concord?.session, `0x${'ab'.repeat(32)}`);
  });

  it('throws NodeApiError with the code of an error event that ends the stream', async () => {
    const chunks: CompletionChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of new NodeClient(url).streamCompletion({ prompt: 'fail' })) chunks.push(c);
      })(),
      { name: 'NodeApiError', apiCode: 'HOSTS_UNAVAILABLE' },
    );
    assert.equal(chunks.length, 4);
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

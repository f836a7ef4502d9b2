import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { TestInferenceNetwork } from '../../../inference/testing.ts';
import { openStore, type Store } from '../../../store/openStore.ts';
import { CompletionAdmission } from '../../inference/completionAdmission.ts';
import {
  type CompletionTestBed,
  heldCredits,
  signedCompletion,
  startCompletionTestBed,
  TEST_CREDITS_PER_TOKEN,
} from '../../inference/completionTesting.ts';
import { parseSseData, readSseData, SSE_DONE } from '../../inference/sse.ts';
import { listenApi } from '../createApi.ts';
import type { CompletionRouteDeps } from './openaiRoute.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests read OpenAI-shaped JSON bodies field by field.
type Json = Record<string, any>;

let bed: CompletionTestBed;
let store: Store;

before(async () => {
  bed = await startCompletionTestBed();
  store = openStore(bed.dataDir);
});
after(async () => {
  store?.close();
  await bed?.stop();
});

/** A fresh network serving the test model, the route deps over it (with `overrides`) and an app. */
async function gatewayOver(
  options: Parameters<CompletionTestBed['serveAgain']>[0] = {},
  overrides: Partial<CompletionRouteDeps> = {},
): Promise<{ net: TestInferenceNetwork; deps: CompletionRouteDeps; app: FastifyInstance }> {
  const { net, models } = await bed.serveAgain(options);
  const deps = bed.deps(store, { models, ...overrides });
  return { net, deps, app: bed.app(deps) };
}

async function stopHosts(net: TestInferenceNetwork): Promise<void> {
  await Promise.all(net.hosts.map((h) => h.libp2p.stop()));
}

async function post(app: FastifyInstance, payload: Json) {
  const res = await app.inject({ method: 'POST', url: '/v1/completions', payload });
  const json = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, headers: res.headers, body: json ? (res.json() as Json) : null, raw: res };
}

/** Resolves once `check` holds (polled every 10 ms). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('hosts that fail before the first token', () => {
  it('answer 503 HOSTS_UNAVAILABLE with Retry-After as JSON, streamed or not; nothing is reserved or billed', async () => {
    const { net, deps, app } = await gatewayOver();
    await stopHosts(net);
    const before = await heldCredits(bed, bed.querier);
    for (const stream of [true, false]) {
      const { body } = await signedCompletion(bed, bed.querier.account);
      const res = await post(app, { ...body, prompt: 'a', max_tokens: 8, stream });
      assert.equal(res.status, 503, `stream ${stream}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.body?.error.code, 'HOSTS_UNAVAILABLE');
      assert.match(res.body?.error.message, /failed host calls: Infer/);
      assert.equal(res.headers['retry-after'], '5');
    }
    assert.equal(deps.reservations.of(bed.querier.account.address), 0n);
    assert.equal(await heldCredits(bed, bed.querier), before);
    await app.close();
  });
});

describe('hosts that fail mid-answer', () => {
  it('streamed: chunks that claim no finish, then an SSE error event and [DONE]; only the tokens delivered are billed', async () => {
    const { net, deps, app } = await gatewayOver();
    const url = await listenApi(app);
    try {
      const { body } = await signedCompletion(bed, bed.querier.account, {
        maxCredits: 4096n * TEST_CREDITS_PER_TOKEN,
      });
      const before = await heldCredits(bed, bed.querier);
      const res = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, prompt: 'x', max_tokens: 4096, temperature: 0, stream: true }),
      });
      assert.equal(res.status, 200);
      const events = readSseData(res.body!);
      const first = await events.next();
      assert.equal(first.done, false);
      await stopHosts(net);
      const data = [first.value as string];
      for await (const d of events) data.push(d);
      assert.equal(data.at(-1), SSE_DONE);
      const failed = JSON.parse(data.at(-2)!) as Json;
      assert.equal(failed.error.code, 'HOSTS_UNAVAILABLE');
      assert.equal(typeof failed.error.message, 'string');
      const chunks = data.slice(0, -2).map((d) => JSON.parse(d) as Json);
      for (const c of chunks) assert.equal(c.choices[0].finish_reason, null, JSON.stringify(c));
      const delivered = chunks.filter((c) => c.concord?.token !== undefined).length;
      assert.ok(delivered >= 1 && delivered < 4096, `delivered ${delivered}`);
      assert.equal(failed.usage.completion_tokens, delivered);
      const billed = BigInt(delivered) * TEST_CREDITS_PER_TOKEN;
      assert.equal(failed.concord.settlement.credits, billed.toString());
      assert.equal(await heldCredits(bed, bed.querier), before - billed);
      assert.equal(deps.reservations.of(bed.querier.account.address), 0n);
    } finally {
      await app.close();
    }
  });

  it('not streamed: answers 503 instead of a 200, and bills nothing (no token reached the client)', async () => {
    const { net, deps, app } = await gatewayOver();
    const { body } = await signedCompletion(bed, bed.querier.account, {
      maxCredits: 4096n * TEST_CREDITS_PER_TOKEN,
    });
    const before = await heldCredits(bed, bed.querier);
    const answer = post(app, { ...body, prompt: 'x', max_tokens: 4096, temperature: 0 });
    const served = () => net.hosts.reduce((n, h) => n + h.server.stats.served, 0);
    await until(() => served() > 40, 'the hosts answered a few tokens');
    await stopHosts(net);
    const res = await answer;
    assert.equal(res.status, 503);
    assert.equal(res.body?.error.code, 'HOSTS_UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(await heldCredits(bed, bed.querier), before);
    assert.equal(deps.reservations.of(bed.querier.account.address), 0n);
    await app.close();
  });
});

/** What one of many concurrent requests got: its status, Retry-After and error code, or its token count. */
type Outcome = {
  status: number;
  retryAfter?: string | undefined;
  code?: string | undefined;
  tokens?: number;
  finish?: string;
};

/** Sends a completion (streamed or not) and sums its answer up, failing on a 200 that carries an error. */
async function outcomeOf(app: FastifyInstance, payload: Json): Promise<Outcome> {
  const res = await post(app, payload);
  if (res.status !== 200) {
    return {
      status: res.status,
      retryAfter: res.headers['retry-after'] as string | undefined,
      code: res.body?.error.code,
    };
  }
  if (payload.stream !== true) {
    return {
      status: 200,
      tokens: res.body!.usage.completion_tokens,
      finish: res.body!.choices[0].finish_reason,
    };
  }
  const data = parseSseData(res.raw.payload);
  assert.equal(data.at(-1), SSE_DONE);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Json);
  for (const c of chunks) assert.equal(c.error, undefined, `a 200 with an error: ${JSON.stringify(c)}`);
  const final = chunks.at(-1)!;
  return { status: 200, tokens: final.usage.completion_tokens, finish: final.choices[0].finish_reason };
}

describe('many requests at once', () => {
  it('beyond running + queued capacity, each is answered with tokens or refused 429/503 with Retry-After', async () => {
    // The gateway runs 3 sessions (their parts share one stream per host) and queues 3: a running one
    // is answered or, should its hosts refuse, 503 HOSTS_UNAVAILABLE; requests beyond the queue get 429.
    const admission = new CompletionAdmission({ maxRunning: 3, maxQueued: 3, maxWaitMs: 15_000 });
    const { deps, app } = await gatewayOver({}, { admission });
    const requests = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => ({
        ...(await signedCompletion(bed, bed.querier.account)).body,
        prompt: `q${i}`,
        max_tokens: 4,
        stream: i % 2 === 0,
      })),
    );
    const before = await heldCredits(bed, bed.querier);
    const outcomes = await Promise.all(requests.map((r) => outcomeOf(app, r)));
    for (const o of outcomes) {
      if (o.status === 200) {
        assert.ok(o.tokens! >= 1 && ['stop', 'length'].includes(o.finish!), JSON.stringify(o));
      } else {
        assert.ok([429, 503].includes(o.status), JSON.stringify(o));
        assert.ok(['QUEUE_FULL', 'NO_CAPACITY', 'HOSTS_UNAVAILABLE'].includes(o.code!), JSON.stringify(o));
        assert.ok(Number(o.retryAfter) >= 1, JSON.stringify(o));
      }
    }
    const answered = outcomes.filter((o) => o.status === 200);
    assert.ok(answered.length >= 1, JSON.stringify(outcomes));
    assert.equal(outcomes.filter((o) => o.status === 429).length, 10 - 6, JSON.stringify(outcomes));
    // Only answered requests paid, each for its tokens; nothing stays reserved.
    const paid = answered.reduce((sum, o) => sum + BigInt(o.tokens!), 0n) * TEST_CREDITS_PER_TOKEN;
    assert.equal(await heldCredits(bed, bed.querier), before - paid);
    assert.equal(deps.reservations.of(bed.querier.account.address), 0n);
    // A request refused by admission spent nothing: the same signed request is served later.
    const refused = requests[outcomes.findIndex((o) => o.status === 429)]!;
    assert.equal((await outcomeOf(app, refused)).status, 200);
    await app.close();
  });

  it('with room in the queue, every queued request is answered in turn', async () => {
    const admission = new CompletionAdmission({ maxRunning: 2, maxQueued: 16, maxWaitMs: 15_000 });
    const { app } = await gatewayOver({}, { admission });
    const requests = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => ({
        ...(await signedCompletion(bed, bed.querier.account)).body,
        prompt: `r${i}`,
        max_tokens: 2,
        stream: i % 2 === 1,
      })),
    );
    const outcomes = await Promise.all(requests.map((r) => outcomeOf(app, r)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      requests.map(() => 200),
      JSON.stringify(outcomes),
    );
    await app.close();
  });

  it('a queued request whose client leaves gives its place up and spends nothing', async () => {
    const admission = new CompletionAdmission({ maxRunning: 1, maxQueued: 4 });
    const { app } = await gatewayOver({}, { admission });
    const url = await listenApi(app);
    const send = (payload: Json, signal?: AbortSignal) =>
      fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        ...(signal === undefined ? {} : { signal }),
      });
    try {
      const long = await signedCompletion(bed, bed.querier.account, {
        maxCredits: 4096n * TEST_CREDITS_PER_TOKEN,
      });
      const holder = new AbortController();
      const running = await send(
        { ...long.body, prompt: 'hold', max_tokens: 4096, temperature: 0, stream: true },
        holder.signal,
      );
      const reader = running.body!.getReader();
      await reader.read(); // the first token: the only slot is taken
      const waiting = await signedCompletion(bed, bed.querier.account);
      const leaving = new AbortController();
      const queued = send({ ...waiting.body, prompt: 'w', max_tokens: 2 }, leaving.signal).catch(
        (err: unknown) => err,
      );
      await until(() => admission.queued === 1, 'the second request is queued');
      leaving.abort();
      assert.equal(((await queued) as Error).name, 'AbortError');
      await until(() => admission.queued === 0, 'the request left the queue');
      holder.abort();
      await reader.cancel().catch(() => undefined);
      await until(() => admission.running === 0, 'the running session ended');
      const again = await send({ ...waiting.body, prompt: 'w', max_tokens: 2 });
      assert.equal(again.status, 200, await again.clone().text());
      assert.equal(((await again.json()) as Json).usage.completion_tokens, 2);
    } finally {
      await app.close();
    }
  });
});

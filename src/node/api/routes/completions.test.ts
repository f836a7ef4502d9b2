import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Hex, LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { depositOf } from '../../../chain/actions/depositOf.ts';
import { type InferenceRequest, sessionIdOf } from '../../../chain/inferenceRequest.ts';
import { embedTokens, localExchangeBackend } from '../../../inference/index.ts';
import { openStore, type Store } from '../../../store/openStore.ts';
import { chainNow } from '../../chainTime.ts';
import {
  type CompletionTestBed,
  heldCredits,
  LIAR_MODEL,
  LOADING_MODEL,
  signedCompletion,
  startCompletionTestBed,
  TEST_API_TOKEN,
  TEST_CREDITS_PER_TOKEN,
  TEST_MODEL,
} from '../../inference/completionTesting.ts';
import { chatPrompt } from '../../inference/openaiFormat.ts';
import { parseSseData, SSE_DONE } from '../../inference/sse.ts';
import { localPlanTokens } from '../../testing/localDecode.ts';
import { listenApi } from '../createApi.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests read OpenAI-shaped JSON bodies field by field.
type Json = Record<string, any>;

let bed: CompletionTestBed;
let store: Store;
let app: FastifyInstance;

before(async () => {
  bed = await startCompletionTestBed();
  store = openStore(bed.dataDir);
  app = bed.app(bed.deps(store));
});
after(async () => {
  await app?.close();
  store?.close();
  await bed?.stop();
});

/** The text local decoding in the plan's order gives for the same prompt, sampling and seed. */
async function localText(
  prompt: string,
  maxNewTokens: number,
  options: { temperature: number; topK?: number; seed: number },
): Promise<string> {
  const { tokenizer, params, plan } = bed.served;
  const tokens = await localPlanTokens(params, plan.parameters.sharding, tokenizer.encode(prompt), {
    temperature: options.temperature,
    topK: options.topK ?? 0,
    seed: options.seed,
    maxNewTokens,
  });
  return tokenizer.decode(tokens);
}

/** A request of `signer` for the test model through the bed's gateway, and its signature. */
function signed(
  signer: Pick<LocalAccount, 'address' | 'signTypedData'>,
  overrides: Partial<InferenceRequest> = {},
): Promise<{ request: InferenceRequest; signature: Hex; body: Json }> {
  return signedCompletion(bed, signer, overrides);
}

async function post(url: string, payload: Json, headers: Record<string, string> = {}, on = app) {
  const res = await on.inject({ method: 'POST', url, payload, headers });
  return {
    status: res.statusCode,
    body: String(res.headers['content-type'] ?? '').includes('json') ? res.json() : null,
    raw: res,
  };
}

/** The JSON chunks of an SSE body, checking it ends with `[DONE]`. */
function chunks(payload: string): Json[] {
  const data = parseSseData(payload);
  assert.equal(data.at(-1), SSE_DONE);
  return data.slice(0, -1).map((d) => JSON.parse(d) as Json);
}

describe('GET /v1/models', () => {
  it('lists the served and the loading model with price, gateway and signing domain', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/models' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as Json;
    assert.equal(body.object, 'list');
    const ready = body.data.find((m: Json) => m.id === TEST_MODEL);
    assert.equal(ready.object, 'model');
    assert.equal(ready.owned_by, 'concord');
    assert.equal(ready.concord.state, 'ready');
    assert.equal(ready.concord.modelId, bed.served.modelId.toString());
    assert.equal(ready.concord.versionIndex, '0');
    assert.equal(ready.concord.creditsPerToken, TEST_CREDITS_PER_TOKEN.toString());
    assert.equal(ready.concord.gateway, bed.gateway.account.address);
    assert.equal(ready.concord.chainId, bed.gateway.chain.id);
    assert.equal(ready.concord.accessCredits, bed.gateway.addresses.accessCredits);
    assert.equal(body.data.find((m: Json) => m.id === LOADING_MODEL).concord.state, 'loading');
  });
});

describe('POST /v1/completions', () => {
  it('answers a querier-signed request with local inference’s text and settles it on chain', async () => {
    const sampling = { temperature: 0.8, top_k: 20, seed: 7 };
    const { request, body } = await signed(bed.querier.account);
    const before = await heldCredits(bed, bed.querier);
    const res = await post('/v1/completions', {
      ...body,
      model: TEST_MODEL,
      prompt: 'Hello',
      max_tokens: 6,
      ...sampling,
    });
    assert.equal(res.status, 200);
    const answer = res.body as Json;
    assert.equal(answer.object, 'text_completion');
    assert.equal(answer.model, TEST_MODEL);
    assert.equal(
      answer.choices[0].text,
      await localText('Hello', 6, { temperature: 0.8, topK: 20, seed: 7 }),
    );
    assert.equal(answer.choices[0].finish_reason, 'length');
    assert.deepEqual(answer.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    assert.equal(answer.concord.session, sessionIdOf(request));
    assert.equal(answer.concord.settlementError, undefined);
    assert.equal(answer.concord.settlement.credits, (6n * TEST_CREDITS_PER_TOKEN).toString());
    assert.deepEqual(answer.concord.settlement.slashed, []);
    assert.equal(await heldCredits(bed, bed.querier), before - 6n * TEST_CREDITS_PER_TOKEN);

    const again = await post('/v1/completions', { ...body, prompt: 'Hello', max_tokens: 6 });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'REQUEST_REPLAYED');
  });

  it('streams chunks whose text is local inference’s, with the hosts behind each token, then usage and settlement', async () => {
    const { body } = await signed(bed.querier.account);
    const res = await post('/v1/completions', {
      ...body,
      prompt: 'ab',
      max_tokens: 5,
      temperature: 0,
      stream: true,
    });
    assert.equal(res.status, 200);
    assert.match(String(res.raw.headers['content-type']), /^text\/event-stream/);
    const all = chunks(res.raw.payload);
    const tokens = all.slice(0, -1);
    const final = all.at(-1)!;
    assert.equal(tokens.length, 5);
    for (const c of tokens) {
      assert.equal(c.object, 'text_completion');
      assert.equal(c.choices[0].finish_reason, null);
      assert.ok(c.concord.agreed.length > 0);
      assert.deepEqual(c.concord.outvoted, []);
    }
    const text = all.map((c) => c.choices[0].text).join('');
    assert.equal(text, await localText('ab', 5, { temperature: 0, seed: 0 }));
    assert.equal(final.choices[0].finish_reason, 'length');
    assert.equal(final.usage.completion_tokens, 5);
    assert.equal(final.concord.settlement.credits, (5n * TEST_CREDITS_PER_TOKEN).toString());
  });

  it('with a lying host among three replicas, streams the honest text, names the liar outvoted and slashes it', async () => {
    const { body } = await signed(bed.querier.account, { modelId: bed.liar.modelId });
    const res = await post('/v1/completions', {
      ...body,
      model: LIAR_MODEL,
      prompt: 'lie',
      max_tokens: 3,
      temperature: 0,
      stream: true,
    });
    assert.equal(res.status, 200);
    const all = chunks(res.raw.payload);
    assert.equal(
      all.map((c) => c.choices[0].text).join(''),
      await localText('lie', 3, { temperature: 0, seed: 0 }),
    );
    // Outvoted on its first answers, the liar is retired for the rest of the session.
    assert.deepEqual(all[0]!.concord.outvoted, [bed.liarHost]);
    assert.ok(!all[0]!.concord.agreed.includes(bed.liarHost));
    assert.equal(all[0]!.concord.agreed.length, 2);
    const final = all.at(-1)!;
    assert.equal(final.concord.settlementError, undefined);
    const slashed = final.concord.settlement.slashed as Json[];
    assert.deepEqual(
      slashed.map((s) => s.host),
      [bed.liarHost],
    );
    assert.ok(BigInt(slashed[0]!.amount) > 0n);
    assert.match(slashed[0]!.txHash, /^0x[0-9a-f]{64}$/);
  });

  it('cuts the text at a stop sequence and pays only the tokens generated', async () => {
    const full = await localText('x', 12, { temperature: 0, seed: 0 });
    const stop = full.slice(4, 6);
    const want = full.slice(0, full.indexOf(stop));
    const { body } = await signed(bed.querier.account);
    const res = await post('/v1/completions', {
      ...body,
      prompt: 'x',
      max_tokens: 12,
      temperature: 0,
      stop: [stop],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.choices[0].text, want);
    assert.equal(res.body.choices[0].finish_reason, 'stop');
    const generated = want.length + stop.length; // one character per token
    assert.equal(res.body.usage.completion_tokens, generated);
    assert.equal(
      res.body.concord.settlement.credits,
      (BigInt(generated) * TEST_CREDITS_PER_TOKEN).toString(),
    );
  });

  it('clips max_tokens to what the request’s maxCredits pays for', async () => {
    const { body } = await signed(bed.querier.account, { maxCredits: 3n * TEST_CREDITS_PER_TOKEN + 1n });
    const res = await post('/v1/completions', { ...body, prompt: 'q', max_tokens: 10, temperature: 0 });
    assert.equal(res.status, 200);
    assert.equal(res.body.usage.completion_tokens, 3);
    assert.equal(res.body.choices[0].finish_reason, 'length');
  });

  it('accepts a prompt of token ids', async () => {
    const { body } = await signed(bed.querier.account);
    const ids = bed.served.tokenizer.encode('Hi');
    const res = await post('/v1/completions', { ...body, prompt: ids, max_tokens: 3, temperature: 0 });
    assert.equal(res.status, 200);
    assert.equal(res.body.choices[0].text, await localText('Hi', 3, { temperature: 0, seed: 0 }));
  });

  it('with the API token and no signed request, the node pays as its own querier', async () => {
    const before = await heldCredits(bed, bed.gateway);
    const res = await post(
      '/v1/completions',
      { prompt: 'z', max_tokens: 2, temperature: 0 },
      { authorization: `Bearer ${TEST_API_TOKEN}` },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.usage.completion_tokens, 2);
    assert.equal(await heldCredits(bed, bed.gateway), before - 2n * TEST_CREDITS_PER_TOKEN);
  });

  it('serves self-paid requests sent at once: each tops the deposit up for the caps already open', async () => {
    const both = await Promise.all(
      [1, 2].map(() =>
        post(
          '/v1/completions',
          { prompt: 'z', max_tokens: 2 },
          { authorization: `Bearer ${TEST_API_TOKEN}` },
        ),
      ),
    );
    assert.deepEqual(
      both.map((r) => r.status),
      [200, 200],
    );
  });
});

describe('POST /v1/chat/completions', () => {
  it('streams the continuation of the chat transcript, self-paid with the API token', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi!' },
    ] as const;
    const res = await post(
      '/v1/chat/completions',
      { model: TEST_MODEL, messages, max_tokens: 4, temperature: 0.5, seed: 3, stream: true },
      { authorization: `Bearer ${TEST_API_TOKEN}` },
    );
    assert.equal(res.status, 200);
    const all = chunks(res.raw.payload);
    assert.equal(all[0]!.object, 'chat.completion.chunk');
    assert.equal(all[0]!.choices[0].delta.role, 'assistant');
    const text = all.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, await localText(chatPrompt([...messages]), 4, { temperature: 0.5, seed: 3 }));
    const final = all.at(-1)!;
    assert.equal(final.choices[0].finish_reason, 'length');
    assert.match(final.concord.settlement.txHash, /^0x[0-9a-f]{64}$/);
  });

  it('answers without streaming as a chat.completion', async () => {
    const { body } = await signed(bed.querier.account);
    const messages = [{ role: 'user', content: 'Yo' }];
    const res = await post('/v1/chat/completions', { ...body, messages, max_tokens: 3, temperature: 0 });
    assert.equal(res.status, 200);
    assert.equal(res.body.object, 'chat.completion');
    assert.equal(res.body.choices[0].message.role, 'assistant');
    assert.equal(
      res.body.choices[0].message.content,
      await localText(chatPrompt(messages as never), 3, { temperature: 0, seed: 0 }),
    );
  });
});

describe('POST /v1/embeddings', () => {
  it('with a lying host among three replicas: the honest vector, the liar outvoted and slashed, nothing billed', async () => {
    const { tokenizer, params, plan } = bed.liar;
    const backend = localExchangeBackend(params, plan.parameters.sharding);
    const want = await embedTokens(params, tokenizer.encode('lie'), backend);
    backend.dispose();
    const before = await heldCredits(bed, bed.gateway);
    const res = await post(
      '/v1/embeddings',
      { model: LIAR_MODEL, input: ['lie'] },
      { authorization: `Bearer ${TEST_API_TOKEN}` },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Float32Array.from(res.body.data[0].embedding), want);
    assert.deepEqual(res.body.concord.outvoted, [bed.liarHost]);
    assert.equal(res.body.concord.agreed.length, 2);
    const { settlement } = res.body.concord;
    assert.equal(settlement.credits, '0');
    assert.deepEqual(
      (settlement.slashed as Json[]).map((s) => s.host),
      [bed.liarHost],
    );
    assert.equal(await heldCredits(bed, bed.gateway), before);
  });
});

describe('refusals', () => {
  it('refuses an unpaid request (401), a forged signature (401) and a wrong API token (401)', async () => {
    const unpaid = await post('/v1/completions', { prompt: 'a' });
    assert.equal(unpaid.status, 401);
    assert.equal(unpaid.body.error.code, 'QUERIER_SIGNATURE_REQUIRED');
    assert.equal(unpaid.raw.headers['www-authenticate'], 'Bearer');

    const forger = privateKeyToAccount(generatePrivateKey());
    const { body } = await signed({
      address: bed.querier.account.address,
      signTypedData: forger.signTypedData,
    });
    const forged = await post('/v1/completions', { ...body, prompt: 'a' });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'REQUEST_SIGNATURE_INVALID');

    const tampered = await signed(bed.querier.account);
    tampered.body.concord.request.maxCredits = '999999';
    assert.equal(
      (await post('/v1/completions', { ...tampered.body, prompt: 'a' })).body.error.code,
      'REQUEST_SIGNATURE_INVALID',
    );

    const wrongToken = await post('/v1/completions', { prompt: 'a' }, { authorization: 'Bearer nope' });
    assert.equal(wrongToken.status, 401);
  });

  it('refuses a querier without credits, and a cap below one token (402)', async () => {
    const poor = privateKeyToAccount(generatePrivateKey());
    const { body } = await signed(poor);
    const res = await post('/v1/completions', { ...body, prompt: 'a', max_tokens: 2 });
    assert.equal(res.status, 402);
    assert.equal(res.body.error.code, 'INSUFFICIENT_CREDITS');
    const capped = await signed(bed.querier.account, { maxCredits: TEST_CREDITS_PER_TOKEN - 1n });
    const low = await post('/v1/completions', { ...capped.body, prompt: 'a' });
    assert.equal(low.status, 402);
    assert.equal(low.body.error.code, 'INSUFFICIENT_CREDITS');
  });

  it('refuses requests for another gateway, model version, lower price or a passed deadline (400)', async () => {
    const cases: [Partial<InferenceRequest>, string][] = [
      [{ gateway: bed.querier.account.address }, 'REQUEST_GATEWAY_MISMATCH'],
      [{ versionIndex: 1n }, 'REQUEST_MODEL_MISMATCH'],
      [{ creditsPerToken: TEST_CREDITS_PER_TOKEN - 1n }, 'REQUEST_PRICE_TOO_LOW'],
      [{ deadline: BigInt(await chainNow(bed.gateway)) }, 'REQUEST_EXPIRED'],
    ];
    for (const [overrides, code] of cases) {
      const { body } = await signed(bed.querier.account, overrides);
      const res = await post('/v1/completions', { ...body, prompt: 'a' });
      assert.equal(res.status, 400, code);
      assert.equal(res.body.error.code, code);
    }
  });

  it('answers an unknown model with 404 and a loading one with 503', async () => {
    const { body } = await signed(bed.querier.account);
    const unknown = await post('/v1/completions', { ...body, model: 'no-such-model', prompt: 'a' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'MODEL_NOT_FOUND');
    const loading = await post('/v1/completions', { ...body, model: LOADING_MODEL, prompt: 'a' });
    assert.equal(loading.status, 503);
    assert.equal(loading.body.error.code, 'MODEL_NOT_READY');
    // Neither spent the request: it still pays for a completion.
    assert.equal((await post('/v1/completions', { ...body, prompt: 'a', max_tokens: 1 })).status, 200);
  });

  it('refuses out-of-range sampling parameters and malformed fields (400), naming the field', async () => {
    const { body } = await signed(bed.querier.account);
    const bad: [Json, string][] = [
      [{ temperature: -0.1 }, 'temperature'],
      [{ top_p: 0 }, 'top_p'],
      [{ top_p: 1.5 }, 'top_p'],
      [{ top_k: 1.5 }, 'top_k'],
      [{ top_k: -1 }, 'top_k'],
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ max_tokens: 4097 }, 'max_tokens'],
      // strict types: no coercion of strings, booleans or null
      [{ max_tokens: '2' }, 'max_tokens'],
      [{ max_tokens: true }, 'max_tokens'],
      [{ temperature: '0' }, 'temperature'],
      [{ stream: 'true' }, 'stream'],
      [{ max_completion_tokens: 0 }, 'max_completion_tokens'],
      [{ max_tokens: 2, max_completion_tokens: 3 }, 'max_completion_tokens'],
      [{ logprobs: 6 }, 'logprobs'],
      [{ logprobs: true }, 'logprobs'],
      [{ seed: -1 }, 'seed'],
      [{ seed: 0.5 }, 'seed'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ stop: [''] }, 'stop'],
      [{ prompt: [1, -2] }, 'prompt'],
      [{ prompt: [100_000] }, 'prompt'],
      [{ prompt: { text: 'a' } }, 'prompt'],
      [{ concord: { request: body.concord.request, signature: '0x1234' } }, 'concord.signature'],
    ];
    for (const [fields, param] of bad) {
      const res = await post('/v1/completions', { ...body, prompt: 'a', ...fields });
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.equal(res.body.error.code, 'INVALID_REQUEST', JSON.stringify(fields));
      assert.equal(res.body.error.type, 'invalid_request_error', JSON.stringify(fields));
      assert.equal(res.body.error.param, param, JSON.stringify(fields));
    }
    const chat: [Json, string][] = [
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'robot', content: 'a' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'user', content: null }] }, 'messages[0].content'],
      [{ messages: [{ role: 'user', content: 'a' }], top_logprobs: 2 }, 'top_logprobs'],
      [{ messages: [{ role: 'user', content: 'a' }], logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    ];
    for (const [fields, param] of chat) {
      const res = await post('/v1/chat/completions', { ...body, ...fields });
      assert.equal(res.body.error.code, 'INVALID_REQUEST', JSON.stringify(fields));
      assert.equal(res.body.error.param, param, JSON.stringify(fields));
    }
    // OpenAI features the node does not offer are refused, never silently dropped
    const unsupported: Json[] = [
      { n: 2 },
      { tools: [{ type: 'function', function: { name: 'f' } }] },
      { tool_choice: 'auto' },
      { functions: [{ name: 'f' }] },
      { response_format: { type: 'json_object' } },
      { logit_bias: { '1': 5 } },
      { audio: { voice: 'alloy' } },
      { presence_penalty: 0.5 },
    ];
    for (const fields of unsupported) {
      const res = await post('/v1/chat/completions', {
        ...body,
        messages: [{ role: 'user', content: 'a' }],
        ...fields,
      });
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.equal(res.body.error.code, 'UNSUPPORTED_PARAMETER', JSON.stringify(fields));
      assert.equal(res.body.error.param, Object.keys(fields)[0]);
    }
    // None of them spent the request; values that ask for nothing pass.
    const harmless = { n: 1, tools: [], response_format: { type: 'text' }, logit_bias: {}, user: 'u' };
    const ok = await post('/v1/completions', { ...body, prompt: 'a', max_tokens: 1, ...harmless });
    assert.equal(ok.status, 200);
  });

  it('serves one of two identical requests sent at once and refuses the other (409)', async () => {
    const { body } = await signed(bed.querier.account);
    const both = await Promise.all(
      [1, 2].map(() => post('/v1/completions', { ...body, prompt: 'a', max_tokens: 1 })),
    );
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409]);
  });

  it('refuses a second session open at once on the same deposit (402): one deposit never pays two sessions', async () => {
    const deposit = await depositOf(bed.querier, {
      querier: bed.querier.account.address,
      gateway: bed.gateway.account.address,
    });
    const all = deposit.granted + deposit.bought;
    const requests = await Promise.all([1, 2].map(() => signed(bed.querier.account, { maxCredits: all })));
    const both = await Promise.all(
      requests.map(({ body }) => post('/v1/completions', { ...body, prompt: 'a', max_tokens: 1 })),
    );
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 402]);
    assert.equal(both.find((r) => r.status === 402)?.body.error.code, 'INSUFFICIENT_CREDITS');
  });

  it('refuses a replay after the node restarts, even when the first session never settled', async () => {
    const dataDir = `${bed.dataDir}-restart`;
    let other = openStore(dataDir);
    const refusingLock = { run: () => Promise.reject(new Error('the node is stopping')) };
    const first = bed.app(bed.deps(other, { txLock: refusingLock }));
    const { body } = await signed(bed.querier.account);
    const served = await post('/v1/completions', { ...body, prompt: 'a', max_tokens: 2 }, {}, first);
    assert.equal(served.status, 200);
    assert.equal(served.body.concord.settlement, null);
    assert.match(served.body.concord.settlementError, /stopping/);
    await first.close();
    other.close();

    other = openStore(dataDir);
    const restarted = bed.app(bed.deps(other));
    try {
      const replay = await post('/v1/completions', { ...body, prompt: 'a', max_tokens: 2 }, {}, restarted);
      assert.equal(replay.status, 409);
      assert.equal(replay.body.error.code, 'REQUEST_REPLAYED');
    } finally {
      await restarted.close();
      other.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('over a listening socket', () => {
  it('streams to a plain fetch client, and bills the tokens delivered before the client went away', async () => {
    const server = bed.app(bed.deps(store));
    const url = await listenApi(server);
    try {
      const { body } = await signed(bed.querier.account);
      const res = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, prompt: 'fetch', max_tokens: 4, temperature: 0, stream: true }),
      });
      assert.equal(res.status, 200);
      const all = chunks(await res.text());
      assert.equal(
        all.map((c) => c.choices[0].text).join(''),
        await localText('fetch', 4, { temperature: 0, seed: 0 }),
      );

      const long = await signed(bed.querier.account, { maxCredits: 4096n * TEST_CREDITS_PER_TOKEN });
      const before = await heldCredits(bed, bed.querier);
      const abort = new AbortController();
      const streamed = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...long.body, prompt: 'go', max_tokens: 4096, temperature: 0, stream: true }),
        signal: abort.signal,
      });
      const reader = streamed.body!.getReader();
      await reader.read(); // the first token's chunk
      abort.abort();
      await reader.cancel().catch(() => undefined);
      let after = before;
      while (after === before) {
        await new Promise((r) => setTimeout(r, 100));
        after = await heldCredits(bed, bed.querier);
      }
      const paid = before - after;
      assert.equal(paid % TEST_CREDITS_PER_TOKEN, 0n);
      assert.ok(paid > 0n && paid < 4096n * TEST_CREDITS_PER_TOKEN, `paid ${paid}`);
    } finally {
      await server.close();
    }
  });
});

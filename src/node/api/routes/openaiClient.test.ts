import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { embedTokens, localExchangeBackend } from '../../../inference/index.ts';
import { openStore, type Store } from '../../../store/openStore.ts';
import {
  type CompletionTestBed,
  signedCompletion,
  startCompletionTestBed,
  TEST_API_TOKEN,
  TEST_MODEL,
} from '../../inference/completionTesting.ts';
import { chatPrompt } from '../../inference/openaiFormat.ts';
import { localPlanTokens } from '../../testing/localDecode.ts';
import { listenApi } from '../createApi.ts';

// The official OpenAI client against a gateway serving a tiny model on two in-process hosts and a real chain.
let bed: CompletionTestBed;
let store: Store;
let app: FastifyInstance;
let client: OpenAI;
let baseURL: string;

before(async () => {
  bed = await startCompletionTestBed();
  store = openStore(bed.dataDir);
  app = bed.app(bed.deps(store));
  baseURL = `${await listenApi(app)}/v1`;
  client = new OpenAI({ baseURL, apiKey: TEST_API_TOKEN, maxRetries: 0 });
});
after(async () => {
  await app?.close();
  store?.close();
  await bed?.stop();
});

/** Local decoding's greedy continuation of `prompt` in the plan's order: what the network must answer. */
async function localGreedy(prompt: string, maxNewTokens: number): Promise<string> {
  const { tokenizer, params, plan } = bed.served;
  const tokens = await localPlanTokens(params, plan.parameters.sharding, tokenizer.encode(prompt), {
    temperature: 0,
    seed: 1,
    maxNewTokens,
  });
  return tokenizer.decode(tokens);
}

/** The local reference embedding of `text` under the served plan's sharding. */
async function localEmbedding(text: string): Promise<Float32Array> {
  const { tokenizer, params, plan } = bed.served;
  const backend = localExchangeBackend(params, plan.parameters.sharding);
  try {
    return await embedTokens(params, tokenizer.encode(text), backend);
  } finally {
    backend.dispose();
  }
}

/** Asserts `promise` rejects with the SDK's error class for `status`, carrying the API's code, param and type. */
async function rejectsWith(
  promise: Promise<unknown>,
  expected: { status: number; code: string; param: string | null; type: string },
) {
  const err = await promise.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.deepEqual(
    { status: err.status, code: err.code, param: err.param, type: err.type },
    expected,
    err.message,
  );
  return err;
}

describe('the openai client', () => {
  it('models: lists the served models and retrieves one; an unknown id is NotFoundError', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.ok(ids.includes(TEST_MODEL), ids.join(', '));
    const model = await client.models.retrieve(TEST_MODEL);
    assert.equal(model.id, TEST_MODEL);
    assert.equal(model.object, 'model');
    assert.equal(model.owned_by, 'concord');
    const err = await rejectsWith(client.models.retrieve('no-such-model'), {
      status: 404,
      code: 'MODEL_NOT_FOUND',
      param: 'model',
      type: 'not_found_error',
    });
    assert.ok(err instanceof OpenAI.NotFoundError);
  });

  it('chat: local inference’s text, truthful usage, logprobs in OpenAI’s shape (null when not asked)', async () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const want = await localGreedy(chatPrompt(messages), 4);
    const chat = await client.chat.completions.create({
      model: TEST_MODEL,
      messages,
      max_completion_tokens: 4,
      temperature: 0,
      logprobs: true,
      top_logprobs: 2,
    });
    const choice = chat.choices[0]!;
    assert.equal(choice.message.content, want);
    assert.equal(chat.usage?.completion_tokens, 4);
    assert.equal(chat.usage?.prompt_tokens, bed.served.tokenizer.encode(chatPrompt(messages)).length);
    const content = choice.logprobs?.content ?? [];
    assert.equal(content.length, 4);
    assert.equal(content.map((c) => c.token).join(''), want);
    for (const c of content) {
      assert.ok(c.logprob <= 0 && Number.isFinite(c.logprob));
      assert.equal(c.top_logprobs.length, 2);
      // greedy: the chosen token is the most likely one
      assert.equal(c.top_logprobs[0]!.logprob, c.logprob);
      assert.deepEqual(c.bytes, [...Buffer.from(c.token)]);
    }
    const plain = await client.chat.completions.create({ model: TEST_MODEL, messages, max_tokens: 1 });
    assert.equal(plain.choices[0]!.logprobs, null);
  });

  it('completions: legacy logprobs: N; usage counts only the prompt tokens the context holds', async () => {
    const done = await client.completions.create({
      model: TEST_MODEL,
      prompt: 'ab',
      max_tokens: 3,
      temperature: 0,
      logprobs: 2,
    });
    const choice = done.choices[0]!;
    assert.equal(choice.text, await localGreedy('ab', 3));
    assert.equal(choice.logprobs?.tokens?.join(''), choice.text);
    assert.equal(choice.logprobs?.token_logprobs?.length, 3);
    assert.equal(Object.keys(choice.logprobs?.top_logprobs?.[0] ?? {}).length, 2);
    assert.deepEqual(choice.logprobs?.text_offset, [0, 1, 2]);
    // a prompt longer than the 24-token context: the model reads its newest 24 tokens
    const long = await client.completions.create({
      model: TEST_MODEL,
      prompt: 'x'.repeat(100),
      max_tokens: 1,
    });
    assert.equal(long.usage?.prompt_tokens, bed.served.params.config.contextLength);
  });

  it('streaming: chat chunks carry the text and each token’s logprobs, then usage', async () => {
    const messages = [{ role: 'user' as const, content: 'yo' }];
    const stream = await client.chat.completions.create({
      model: TEST_MODEL,
      messages,
      max_tokens: 5,
      temperature: 0,
      stream: true,
      logprobs: true,
    });
    let text = '';
    let tokens = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      tokens += choice?.logprobs?.content?.length ?? 0;
      usage ??= chunk.usage;
    }
    assert.equal(text, await localGreedy(chatPrompt(messages), 5));
    assert.equal(tokens, 5);
    assert.equal(usage?.completion_tokens, 5);
  });

  it('embeddings: the network’s vectors equal the local computation bit for bit, float and base64', async () => {
    const input = ['hello', 'a longer text'];
    const want = await Promise.all(input.map(localEmbedding));
    // the client asks base64 by default and decodes it
    const b64 = await client.embeddings.create({ model: TEST_MODEL, input });
    const floats = await client.embeddings.create({ model: TEST_MODEL, input, encoding_format: 'float' });
    for (const res of [b64, floats]) {
      assert.equal(res.object, 'list');
      assert.equal(res.model, TEST_MODEL);
      assert.deepEqual(
        res.data.map((d) => d.index),
        [0, 1],
      );
      res.data.forEach((d, i) => {
        assert.equal(d.object, 'embedding');
        assert.equal(d.embedding.length, bed.served.params.config.dModel);
        assert.deepEqual(Float32Array.from(d.embedding), want[i]);
      });
      const tokens = input.reduce((n, t) => n + bed.served.tokenizer.encode(t).length, 0);
      assert.deepEqual(res.usage, { prompt_tokens: tokens, total_tokens: tokens });
    }
    const one = await client.embeddings.create({ model: TEST_MODEL, input: 'hello', dimensions: 16 });
    assert.deepEqual(Float32Array.from(one.data[0]!.embedding), want[0]);
  });

  it('errors: each parses into the SDK’s error class with status, code, param and type', async () => {
    const chat = { model: TEST_MODEL, messages: [{ role: 'user' as const, content: 'a' }] };
    const bad = (param: string, code = 'INVALID_REQUEST') => ({
      status: 400,
      code,
      param,
      type: 'invalid_request_error',
    });
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    const e400 = await rejectsWith(
      client.chat.completions.create({ ...chat, tools }),
      bad('tools', 'UNSUPPORTED_PARAMETER'),
    );
    assert.ok(e400 instanceof OpenAI.BadRequestError);
    await rejectsWith(
      client.chat.completions.create({ ...chat, response_format: { type: 'json_object' } }),
      bad('response_format', 'UNSUPPORTED_PARAMETER'),
    );
    await rejectsWith(client.chat.completions.create({ ...chat, n: 2 }), bad('n', 'UNSUPPORTED_PARAMETER'));
    await rejectsWith(
      // biome-ignore lint/suspicious/noExplicitAny: a wrongly typed field, as a careless caller sends it.
      client.chat.completions.create({ ...chat, max_tokens: '2' as any }),
      bad('max_tokens'),
    );
    await rejectsWith(
      client.chat.completions.create({ ...chat, max_tokens: 2, max_completion_tokens: 3 }),
      bad('max_completion_tokens'),
    );
    await rejectsWith(client.embeddings.create({ model: TEST_MODEL, input: 'x'.repeat(100) }), bad('input'));
    await rejectsWith(client.embeddings.create({ model: TEST_MODEL, input: [1, 2] }), bad('input'));
    await rejectsWith(client.embeddings.create({ model: TEST_MODEL, input: '' }), bad('input'));
    await rejectsWith(
      client.embeddings.create({ model: TEST_MODEL, input: 'a', dimensions: 3 }),
      bad('dimensions'),
    );
    const wrongKey = new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 });
    const e401 = await rejectsWith(wrongKey.chat.completions.create(chat), {
      status: 401,
      code: 'UNAUTHORIZED',
      param: null,
      type: 'authentication_error',
    });
    assert.ok(e401 instanceof OpenAI.AuthenticationError);
    // a querier without credits signs its own request (the `concord` field): 402
    const poor = privateKeyToAccount(generatePrivateKey());
    const { body } = await signedCompletion(bed, poor);
    await rejectsWith(client.embeddings.create({ model: TEST_MODEL, input: 'a', ...body }), {
      status: 402,
      code: 'INSUFFICIENT_CREDITS',
      param: null,
      type: 'insufficient_quota',
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gpt, GptParams, generate, makeGptConfig, Rng } from '../model/index.ts';
import { startTestInferenceNetwork } from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 7);
const prompt = [3, 14, 15, 9, 26];
const sampling = { temperature: 0.9, topK: 20, seed: 42, maxNewTokens: 3 };

describe('HostLink', () => {
  it('dials a new stream when the host closed the idle one (a session after a quiet spell)', async () => {
    const serveTimeoutMs = 100;
    const net = await startTestInferenceNetwork({
      params,
      hosts: 3,
      replicas: 1,
      standbys: 1,
      sharding: { shardsPerMatrix: 3 },
      serveTimeoutMs,
    });
    try {
      const local = generate(new Gpt(params), prompt, new Rng(sampling.seed), sampling);
      const run = async () => {
        const session = net.gateway.openSession();
        const tokens: number[] = [];
        for await (const e of session.generate(prompt, sampling)) tokens.push(e.token);
        return { tokens, failures: session.failures.length };
      };
      assert.deepEqual(await run(), { tokens: local, failures: 0 });
      await new Promise((r) => setTimeout(r, serveTimeoutMs * 4)); // every host closes its idle stream
      assert.deepEqual(await run(), { tokens: local, failures: 0 });
    } finally {
      await net.stop();
    }
  });
});

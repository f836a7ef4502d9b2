import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { makeGptConfig } from './config.ts';
import { generate } from './generate.ts';
import { Gpt } from './gpt.ts';
import { GptParams } from './params.ts';
import { Rng } from './rng.ts';
import { CharTokenizer } from './tokenizers/char.ts';
import { lrAt, makeBatch, sampleBatch, Trainer } from './train.ts';

const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);
const tokenizer = CharTokenizer.fromCorpus(text);
const data = Int32Array.from(tokenizer.encode(text));
const config = makeGptConfig({
  vocabSize: tokenizer.vocabSize,
  contextLength: 32,
  dModel: 32,
  nHeads: 4,
  nLayers: 2,
});

function train(steps: number, seed: number): { params: GptParams; losses: number[] } {
  const params = GptParams.init(config, seed);
  const trainer = new Trainer(params, { lr: 3e-3, maxGradNorm: 1 });
  const rng = new Rng(seed, 1);
  const batch = makeBatch(4, 32);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(trainer.step(sampleBatch(data, rng, batch)).loss);
  return { params, losses };
}

const digest = (p: GptParams) => createHash('sha256').update(new Uint8Array(p.flat.buffer)).digest('hex');

describe('training', () => {
  it('is deterministic: same seed and data give the same parameter bytes', () => {
    const a = train(3, 7);
    const b = train(3, 7);
    assert.equal(digest(a.params), digest(b.params));
    assert.deepEqual(a.losses, b.losses);
    assert.notEqual(digest(train(3, 8).params), digest(a.params));
  });

  it('learns a small repetitive text (loss falls well below uniform) and then generates from it', () => {
    const { params, losses } = train(60, 1);
    const first = losses[0]!;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    console.log(
      `char model loss: ${first.toFixed(3)} -> ${last.toFixed(3)} (uniform ${Math.log(config.vocabSize).toFixed(3)})`,
    );
    assert.ok(last < 0.6 * first, `loss ${first} -> ${last}`);
    const model = new Gpt(params);
    const out = generate(model, tokenizer.encode('the '), new Rng(2), { maxNewTokens: 40, temperature: 0 });
    assert.equal(out.length, 40);
    const again = generate(model, tokenizer.encode('the '), new Rng(2), { maxNewTokens: 40, temperature: 0 });
    assert.deepEqual(again, out);
    console.log(`greedy sample: ${JSON.stringify(tokenizer.decode(out))}`);
  });

  it('generate slides its window past the context length, and honours stopToken', () => {
    const model = new Gpt(GptParams.init(config, 3));
    const out = generate(model, [1, 2, 3], new Rng(5), { maxNewTokens: 70, topK: 3 });
    assert.equal(out.length, 70);
    const stop = out[0]!;
    const short = generate(model, [1, 2, 3], new Rng(5), { maxNewTokens: 70, topK: 3, stopToken: stop });
    assert.deepEqual(short, [stop]);
  });

  it('schedules the learning rate linearly and validates batches', () => {
    const s = { lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 };
    assert.equal(lrAt(s, 0), 0.25);
    assert.equal(lrAt(s, 3), 1);
    assert.ok(Math.abs(lrAt(s, 9) - 0.55) < 1e-12);
    assert.equal(lrAt(s, 20), 0.1);
    assert.throws(() => sampleBatch(data.subarray(0, 10), new Rng(1), makeBatch(1, 10)), {
      name: 'InvalidTrainingSetupError',
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coordinateMedian } from '../core/aggregate/coordinateMedian.ts';
import { fedAvg } from '../core/aggregate/fedAvg.ts';
import { serverStep } from '../core/aggregate/serverStep.ts';
import { trimmedMean } from '../core/aggregate/trimmedMean.ts';
import { makeGptConfig } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { type AggregateSpec, aggregateKind } from './aggregate.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { TINY_CONFIG, TINY_TOKENIZER, tinyCheckpoint } from './mlFixtures.ts';
import { MemoryBlobs } from './testing.ts';
import { charTokenizerMetadata } from './tokenizerMetadata.ts';

const metadata = charTokenizerMetadata(TINY_TOKENIZER);

/** Three differently seeded tiny checkpoints stored in `blobs`. */
function setup(blobs: MemoryBlobs, count = 3) {
  const params = Array.from({ length: count }, (_, i) => GptParams.init(TINY_CONFIG, i + 1));
  const inputs = params.map((p) => blobs.put(writeCheckpoint({ params: p, metadata })));
  return { params, inputs };
}

function spec(inputs: AggregateSpec['inputs'], extra: Partial<AggregateSpec> = {}): AggregateSpec {
  return { kind: 'aggregate', kernel: KERNEL_VERSION, rule: 'fedavg', inputs, ...extra };
}

describe('aggregate task kind', () => {
  it('has the on-chain kind id keccak256("aggregate") and lists its inputs in order', () => {
    const blobs = new MemoryBlobs();
    const { inputs } = setup(blobs);
    assert.equal(aggregateKind.kindId, '0xe23ce8154ba7968a9d040577a2140e30474cee3aad4ba52d26bc483e648643f4');
    const s = spec(inputs, { weights: [1, 2, 3] });
    assert.deepEqual(aggregateKind.parseSpec(JSON.parse(JSON.stringify(s))), s);
    assert.deepEqual(aggregateKind.inputs(s), inputs);
  });

  it('rejects bad specs with TaskSpecError', () => {
    const blobs = new MemoryBlobs();
    const { inputs } = setup(blobs);
    const bad: unknown[] = [
      null,
      { ...spec(inputs), rule: 'krum' },
      { ...spec(inputs), inputs: [] },
      { ...spec(inputs), inputs: 'abc' },
      { ...spec(inputs), inputs: [inputs[0], 'xyz'] },
      spec(inputs, { weights: [1, 2] }),
      spec(inputs, { weights: [1, -2, 3] }),
      spec(inputs, { weights: [1, 0.5, 3] }),
      spec(inputs, { rule: 'median', weights: [1, 1, 1] }),
      spec(inputs, { rule: 'trimmed-mean' }),
      spec(inputs, { rule: 'trimmed-mean', beta: 0.5 }),
      spec(inputs, { rule: 'fedavg', beta: 0.1 }),
      { ...spec(inputs), kernel: 'concord-k0' },
      spec(inputs, { serverLr: 2 }),
      spec(inputs, { base: inputs[0]! }),
      spec(inputs, { base: inputs[0]!, serverLr: 0 }),
      spec(inputs, { base: inputs[0]!, serverLr: 9 }),
      spec(inputs, { base: 'xyz' as `0x${string}`, serverLr: 2 }),
    ];
    for (const json of bad)
      assert.throws(() => aggregateKind.parseSpec(json), { name: 'TaskSpecError' }, JSON.stringify(json));
  });

  it('gives exactly the core rules applied to the flat parameters, with the inputs metadata', async () => {
    const blobs = new MemoryBlobs();
    const { params, inputs } = setup(blobs, 5);
    const flats = params.map((p) => p.flat);
    const cases: [AggregateSpec, Float32Array][] = [
      [spec(inputs), fedAvg(flats, [1, 1, 1, 1, 1])],
      [spec(inputs, { weights: [5, 0, 1, 2, 9] }), fedAvg(flats, [5, 0, 1, 2, 9])],
      [spec(inputs, { rule: 'median' }), coordinateMedian(flats)],
      [spec(inputs, { rule: 'trimmed-mean', beta: 0.2 }), trimmedMean(flats, 0.2)],
    ];
    for (const [s, expected] of cases) {
      const out = readCheckpoint(await aggregateKind.run(s, blobs.context()));
      assert.deepEqual(out.params.flat, expected, s.rule);
      assert.deepEqual(out.metadata, { format: 'pt', ...metadata });
      assert.deepEqual(await aggregateKind.run(s, blobs.context()), writeCheckpoint(out));
    }
  });

  it('returns a single input unchanged', async () => {
    const blobs = new MemoryBlobs();
    const bytes = tinyCheckpoint(4);
    const out = await aggregateKind.run(spec([blobs.put(bytes)]), blobs.context());
    assert.deepEqual(out, bytes);
  });

  it('rejects inputs of different architectures or tokenizers with TaskInputError', async () => {
    const blobs = new MemoryBlobs();
    const { inputs } = setup(blobs, 2);
    const wider = makeGptConfig({ ...TINY_CONFIG, nLayers: 1 });
    const other = blobs.put(writeCheckpoint({ params: GptParams.init(wider, 1), metadata }));
    const noTokenizer = blobs.put(writeCheckpoint({ params: GptParams.init(TINY_CONFIG, 9), metadata: {} }));
    for (const odd of [other, noTokenizer]) {
      await assert.rejects(aggregateKind.run(spec([...inputs, odd]), blobs.context()), {
        name: 'TaskInputError',
      });
    }
  });

  it('combines carried AdamW moments with the same rule and keeps their step', async () => {
    const blobs = new MemoryBlobs();
    const states = [1, 2, 3].map((k) => {
      const params = GptParams.init(TINY_CONFIG, k);
      const n = params.flat.length;
      const optimizer = { m: new Float32Array(n).fill(k), v: new Float32Array(n).fill(k * k), step: 9 };
      return { params, metadata, optimizer };
    });
    const inputs = states.map((c) => blobs.put(writeCheckpoint(c)));
    const out = readCheckpoint(
      await aggregateKind.run(spec(inputs, { weights: [1, 1, 2] }), blobs.context()),
    );
    assert.equal(out.optimizer?.step, 9);
    assert.equal(out.optimizer?.m[0], (1 + 2 + 6) / 4);
    assert.equal(out.optimizer?.v[5], (1 + 4 + 18) / 4);
    const median = readCheckpoint(await aggregateKind.run(spec(inputs, { rule: 'median' }), blobs.context()));
    assert.equal(median.optimizer?.m[3], 2);
    const otherStep = blobs.put(
      writeCheckpoint({ ...states[0]!, optimizer: { ...states[0]!.optimizer, step: 8 } }),
    );
    const noState = blobs.put(writeCheckpoint({ params: states[0]!.params, metadata }));
    for (const odd of [otherStep, noState]) {
      await assert.rejects(aggregateKind.run(spec([inputs[1]!, odd]), blobs.context()), {
        name: 'TaskInputError',
      });
    }
  });

  it('steps from the base by serverLr, lists the base as an input, and keeps the moments unscaled', async () => {
    const blobs = new MemoryBlobs();
    const { params, inputs } = setup(blobs);
    const base = blobs.put(writeCheckpoint({ params: GptParams.init(TINY_CONFIG, 9), metadata }));
    const s = spec(inputs, { weights: [1, 2, 3], base, serverLr: 2 });
    assert.deepEqual(aggregateKind.parseSpec(JSON.parse(JSON.stringify(s))), s);
    assert.deepEqual(aggregateKind.inputs(s), [...inputs, base]);
    const out = readCheckpoint(await aggregateKind.run(s, blobs.context()));
    const mean = fedAvg(
      params.map((p) => p.flat),
      [1, 2, 3],
    );
    assert.deepEqual(out.params.flat, serverStep(GptParams.init(TINY_CONFIG, 9).flat, mean, 2));
    const other = makeGptConfig({ ...TINY_CONFIG, nLayers: TINY_CONFIG.nLayers + 1 });
    const wrongBase = blobs.put(writeCheckpoint({ params: GptParams.init(other, 1), metadata }));
    await assert.rejects(aggregateKind.run({ ...s, base: wrongBase }, blobs.context()), {
      name: 'TaskInputError',
    });
  });

  it('rejects an input holding NaN', async () => {
    const blobs = new MemoryBlobs();
    const { inputs } = setup(blobs, 2);
    const nan = tinyCheckpoint().slice();
    new DataView(nan.buffer).setFloat32(nan.length - 8, Number.NaN, true);
    await assert.rejects(aggregateKind.run(spec([...inputs, blobs.put(nan)]), blobs.context()), {
      name: 'SafetensorsNonFiniteError',
    });
  });

  it('rejects a FedAvg whose weights are all zero', async () => {
    const blobs = new MemoryBlobs();
    const { inputs } = setup(blobs, 2);
    await assert.rejects(aggregateKind.run(spec(inputs, { weights: [0, 0] }), blobs.context()), {
      name: 'AggregateTotalWeightError',
    });
  });
});

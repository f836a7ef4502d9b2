import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTensor } from '../core/codec.ts';
import { Gpt } from '../model/gpt.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { type EmbedSpec, embedKind } from './embed.ts';
import { TINY_CONFIG, TINY_TOKENIZER, tinyCheckpoint } from './mlFixtures.ts';
import { MemoryBlobs } from './testing.ts';
import { TOKENIZER_METADATA_KEY } from './tokenizerMetadata.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

function setup(texts: unknown = ['abc', 'gfedcba', 'a'], model = tinyCheckpoint()) {
  const blobs = new MemoryBlobs();
  const spec: EmbedSpec = {
    kind: 'embed',
    kernel: KERNEL_VERSION,
    model: blobs.put(model),
    texts: blobs.put(utf8(JSON.stringify(texts))),
    pooling: 'mean',
  };
  return { blobs, spec };
}

describe('embed task kind', () => {
  it('has the on-chain kind id keccak256("embed") and parses a valid spec', () => {
    const { spec } = setup();
    assert.equal(embedKind.kindId, '0x2cc1e55e7653b5e1c125d67dad03653bc24b2fc764dc11c815ece3bd335500a3');
    assert.deepEqual(embedKind.parseSpec(JSON.parse(JSON.stringify(spec))), spec);
    assert.deepEqual(embedKind.inputs(spec), [spec.model, spec.texts]);
  });

  it('rejects bad specs with TaskSpecError', () => {
    const { spec } = setup();
    const bad: unknown[] = [
      { ...spec, pooling: 'max' },
      { ...spec, texts: 'xyz' },
      { ...spec, kernel: 'concord-k0' },
      { ...spec, extra: 1 },
      (({ pooling: _, ...rest }) => rest)(spec),
    ];
    for (const json of bad) assert.throws(() => embedKind.parseSpec(json), { name: 'TaskSpecError' });
  });

  it('returns (n, dModel) mean-pooled final hidden states, the same bytes every time', async () => {
    const texts = ['abc', 'gfedcba', 'a'];
    const { blobs, spec } = setup(texts);
    const bytes = await embedKind.run(spec, blobs.context());
    assert.deepEqual(await embedKind.run(spec, blobs.context()), bytes);
    const t = decodeTensor(bytes);
    assert.equal(t.dtype, 'f32');
    assert.deepEqual(t.shape, [3, TINY_CONFIG.dModel]);
    const model = new Gpt(readCheckpoint(tinyCheckpoint()).params);
    texts.forEach((text, i) => {
      const row = (t.data as Float32Array).subarray(i * TINY_CONFIG.dModel, (i + 1) * TINY_CONFIG.dModel);
      assert.deepEqual(row, model.embed(TINY_TOKENIZER.encode(text)));
    });
  });

  it('truncates texts to the context length', async () => {
    const long = 'abcdefg '.repeat(5);
    const { blobs, spec } = setup([long, long.slice(0, TINY_CONFIG.contextLength)]);
    const t = decodeTensor(await embedKind.run(spec, blobs.context())).data as Float32Array;
    const C = TINY_CONFIG.dModel;
    assert.deepEqual(t.subarray(0, C), t.subarray(C, 2 * C));
  });

  it('rejects texts blobs that are not a JSON array of non-empty strings with TaskInputError', async () => {
    for (const texts of [[], ['ok', ''], ['ok', 3], 'abc', { a: 1 }]) {
      const { blobs, spec } = setup(texts);
      await assert.rejects(
        embedKind.run(spec, blobs.context()),
        { name: 'TaskInputError' },
        JSON.stringify(texts),
      );
    }
    const { blobs, spec } = setup();
    const notJson = { ...spec, texts: blobs.put(utf8('[ "a"')) };
    await assert.rejects(embedKind.run(notJson, blobs.context()), { name: 'TaskInputError' });
  });

  it('rejects a model whose tokenizer metadata is malformed or does not fit', async () => {
    const { params } = readCheckpoint(tinyCheckpoint());
    for (const metadata of [{ [TOKENIZER_METADATA_KEY]: '{"type":"bpe"}' }, {}]) {
      const { blobs, spec } = setup(undefined, writeCheckpoint({ params, metadata }));
      await assert.rejects(embedKind.run(spec, blobs.context()), { name: 'TaskInputError' });
    }
  });

  it('rejects a model holding NaN', async () => {
    const nan = tinyCheckpoint().slice();
    new DataView(nan.buffer).setFloat32(nan.length - 4, Number.NaN, true);
    const { blobs, spec } = setup(undefined, nan);
    await assert.rejects(embedKind.run(spec, blobs.context()), { name: 'SafetensorsNonFiniteError' });
  });
});

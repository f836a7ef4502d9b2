import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import { GptParams } from '../model/params.ts';
import { OPTIMIZER_M, OPTIMIZER_STEP_KEY, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { TINY_CONFIG, TINY_TOKENIZER } from './mlFixtures.ts';
import { charTokenizerMetadata } from './tokenizerMetadata.ts';

const metadata = charTokenizerMetadata(TINY_TOKENIZER);

function withState(step: number) {
  const params = GptParams.init(TINY_CONFIG, 2);
  const n = params.flat.length;
  const m = Float32Array.from({ length: n }, (_, i) => (i % 7) * 0.001 - 0.003);
  const v = Float32Array.from({ length: n }, (_, i) => (i % 5) * 1e-6);
  return { params, metadata, optimizer: { m, v, step } };
}

describe('checkpoints', () => {
  it('round-trip parameters, metadata and AdamW state, with deterministic bytes', () => {
    const checkpoint = withState(42);
    const bytes = writeCheckpoint(checkpoint);
    assert.deepEqual(writeCheckpoint(checkpoint), bytes);
    const back = readCheckpoint(bytes);
    assert.deepEqual(back.params.flat, checkpoint.params.flat);
    assert.deepEqual(back.metadata, { format: 'pt', ...metadata });
    assert.deepEqual(back.optimizer, checkpoint.optimizer);
    assert.deepEqual(writeCheckpoint(back), bytes);
  });

  it('read a checkpoint without optimizer state as one without it', () => {
    const { params } = withState(0);
    const back = readCheckpoint(writeCheckpoint({ params, metadata }));
    assert.equal(back.optimizer, undefined);
  });

  it('reject an incomplete or malformed optimizer state with TaskInputError', () => {
    const file = decodeSafetensors(writeCheckpoint(withState(3)));
    const { [OPTIMIZER_M]: _m, ...noM } = file.tensors;
    const broken = [
      encodeSafetensors(noM, file.metadata),
      encodeSafetensors(file.tensors, { ...file.metadata, [OPTIMIZER_STEP_KEY]: '-1' }),
      encodeSafetensors(file.tensors, { ...file.metadata, [OPTIMIZER_STEP_KEY]: '1.5' }),
    ];
    for (const bytes of broken) assert.throws(() => readCheckpoint(bytes), { name: 'TaskInputError' });
  });
});

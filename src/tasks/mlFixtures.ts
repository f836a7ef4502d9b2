import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Hex } from 'viem';
import { makeGptConfig } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import { CharTokenizer } from '../model/tokenizers/char.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { writeCheckpoint } from './checkpoint.ts';
import type { GradientSpec } from './gradient.ts';
import { shardBlob } from './shardBlob.ts';
import type { MemoryBlobs } from './testing.ts';
import { charTokenizerMetadata } from './tokenizerMetadata.ts';
import type { TrainSpec } from './trainSpec.ts';

/**
 * Test fixtures of the ML task kinds: a tiny char model (vocabulary "abcdefg"
 * plus unknown, 2 layers of width 16) and a shard of its text, built the same
 * way in every process so results can be compared across processes.
 */

/** The fixtures' tokenizer. */
export const TINY_TOKENIZER = new CharTokenizer([...'abcdefg ']);

/** The fixtures' model shape. */
export const TINY_CONFIG = makeGptConfig({
  vocabSize: TINY_TOKENIZER.vocabSize,
  contextLength: 16,
  dModel: 16,
  nHeads: 2,
  nLayers: 2,
});

/** A seeded tiny checkpoint with the tokenizer in its metadata. */
export function tinyCheckpoint(seed = 1): Uint8Array {
  return writeCheckpoint({
    params: GptParams.init(TINY_CONFIG, seed),
    metadata: charTokenizerMetadata(TINY_TOKENIZER),
  });
}

/** A repetitive text shard the tiny model can learn. */
export function tinyShardIds(length = 400): Int32Array {
  const text = 'abc defg gfed cba '.repeat(Math.ceil(length / 18)).slice(0, length);
  return Int32Array.from(TINY_TOKENIZER.encode(text));
}

/** Stores a tiny checkpoint and shard in `blobs`; returns a valid train spec over them. */
export function tinyTrainSetup(blobs: MemoryBlobs, overrides: Partial<TrainSpec> = {}): TrainSpec {
  const model: Hex = blobs.put(tinyCheckpoint());
  const shard: Hex = blobs.put(shardBlob(tinyShardIds()).bytes);
  return {
    kind: 'train',
    kernel: KERNEL_VERSION,
    model,
    shard,
    steps: 4,
    batchSize: 2,
    seqLen: 16,
    seed: 7,
    lr: 0.01,
    minLr: 0.001,
    warmupSteps: 2,
    totalSteps: 10,
    startStep: 0,
    weightDecay: 0.1,
    maxGradNorm: 1,
    ...overrides,
  };
}

/** A gradient spec over the tiny fixture model and shard, stored in `blobs`. */
export function tinyGradientSetup(blobs: MemoryBlobs, overrides: Partial<GradientSpec> = {}): GradientSpec {
  const { model, shard } = tinyTrainSetup(blobs);
  return {
    kind: 'gradient',
    kernel: KERNEL_VERSION,
    model,
    shard,
    batchSize: 3,
    seqLen: 16,
    seed: 5,
    ...overrides,
  };
}

/**
 * Runs the fixture `train` or `gradient` task (the setups above) in a
 * separate Node process (mlTaskChild.ts); resolves to its result bytes, base64.
 */
export async function fixtureResultInChild(kind: 'train' | 'gradient'): Promise<string> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bin/run.mjs', 'src/tasks/mlTaskChild.ts', kind],
    { cwd: root, maxBuffer: 1 << 24 },
  );
  return stdout;
}

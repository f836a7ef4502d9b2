import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CharTokenizer } from '../../model/index.ts';
import type { RoundRecord } from './round.ts';
import { readTextData, textShards } from './textData.ts';
import { readTrainState, trainStatePath, writeTrainState } from './trainState.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-train-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = {
  chainId: 31337,
  modelRegistry: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
  modelId: '2',
} as const;

describe('the training state file', () => {
  it('starts fresh, round-trips, and refuses another model’s or a malformed file', () => {
    const file = trainStatePath(dir, 2n);
    assert.equal(file, join(dir, '.concord', 'train-2.json'));
    const fresh = readTrainState(file, run);
    assert.deepEqual(fresh, { ...run, rounds: [], current: null });
    const current: RoundRecord = {
      base: '0',
      baseDigest: `0x${'1'.repeat(64)}`,
      pool: `0x${'2'.repeat(64)}`,
      gradientTasks: ['4', '5'],
      aggregateTask: null,
    };
    writeTrainState(file, { ...fresh, current });
    assert.deepEqual(
      readTrainState(file, { ...run, modelRegistry: run.modelRegistry.toLowerCase() as `0x${string}` })
        .current,
      current,
    );
    assert.throws(() => readTrainState(file, { ...run, modelId: '3' }), { name: 'TrainStateError' });
    assert.throws(() => readTrainState(file, { ...run, chainId: 1 }), { name: 'TrainStateError' });
    writeFileSync(file, '{"rounds": 3');
    assert.throws(() => readTrainState(file, run), { name: 'TrainStateError' });
  });
});

describe('the training text', () => {
  it('reads every visible file of a directory in name order and cuts the tokens into shards', () => {
    const data = join(dir, 'data');
    mkdirSync(join(data, '.concord'), { recursive: true });
    writeFileSync(join(data, 'b.txt'), 'bbbb');
    writeFileSync(join(data, 'a.txt'), 'aaaa');
    writeFileSync(join(data, '.hidden'), 'zzzz');
    const { files, text } = readTextData(data);
    assert.deepEqual(files, [join(data, 'a.txt'), join(data, 'b.txt')]);
    assert.equal(text, 'aaaa\nbbbb');
    const tokenizer = CharTokenizer.fromCorpus('ab\n');
    const shards = textShards(tokenizer, text, 2, 3);
    assert.deepEqual(
      shards.map((s) => s.tokens),
      [4, 5],
    );
    assert.throws(() => textShards(tokenizer, text, 3, 3), { name: 'CorpusShardError' });
  });
});

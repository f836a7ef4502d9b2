import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { splitIntoShards } from '../../data/shards.ts';
import type { Tokenizer } from '../../model/index.ts';
import { type ShardBlob, shardBlob } from '../../tasks/shardBlob.ts';

/**
 * The text of a data set: one file, or every regular file of a directory
 * whose name does not start with a dot (in name order), joined by newlines.
 */
export function readTextData(path: string): { files: string[]; text: string } {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => !name.startsWith('.'))
        .sort()
        .map((name) => join(path, name))
        .filter((file) => statSync(file).isFile())
    : [path];
  return { files, text: files.map((file) => readFileSync(file, 'utf8')).join('\n') };
}

/**
 * The data shards of a training run: the text encoded with the model's
 * tokenizer and cut into `count` contiguous shards of nearly equal length,
 * each long enough for windows of `seqLen` tokens (CorpusShardError if the
 * text is too short). Every round trains on the same shards; its tasks'
 * seeds, which change with the round, pick other windows.
 */
export function textShards(tokenizer: Tokenizer, text: string, count: number, seqLen: number): ShardBlob[] {
  const ids = Int32Array.from(tokenizer.encode(text));
  return splitIntoShards(ids, count, seqLen + 1).map((shard) => shardBlob(shard));
}

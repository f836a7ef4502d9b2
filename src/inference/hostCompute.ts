import type { Hex } from 'viem';
import { vectorDigest } from '../core/digest.ts';
import { KvCacheFullError } from '../model/index.ts';
import { InferCacheMissingError, InferMalformedError, InferShardNotHostedError } from './errors.ts';
import { checkWindow, exchangeShardKey } from './exchange.ts';
import type { HostSessions } from './hostSessions.ts';
import { attnPartial, headLogits, mlpPartial } from './shards/compute.ts';
import type { AttnShardWeights, ExchangeShardWeights } from './shards/weights.ts';
import type { RequestPart } from './wire.ts';

/** One admitted part with its inputs; `outputs` and `inputDigests` are filled by `computeAttention` and `computeStacked`. */
export type PartWork = {
  readonly part: RequestPart;
  readonly inputs: readonly Float32Array[];
  outputs: Float32Array[];
  inputDigests: Hex[];
};

/** Throws InferShardNotHostedError unless every item of the part names a shard of its kind this host holds. */
export function checkHosted(part: RequestPart, shards: ReadonlyMap<string, ExchangeShardWeights>): void {
  for (const item of part.items) {
    const key = exchangeShardKey(item.layer, item.matrix, item.shard);
    if (shards.get(key)?.kind !== item.matrix) {
      throw new InferShardNotHostedError(`this host does not serve shard ${key}`);
    }
  }
}

/**
 * Computes a part's attention items on the session's caches. Every item's
 * window is checked against what the host holds first (a window to keep from
 * needs a cache: InferCacheMissingError; one that does not fit:
 * InferMalformedError), so a refused part changes no cache.
 */
export function computeAttention(
  w: PartWork,
  shards: ReadonlyMap<string, ExchangeShardWeights>,
  sessions: HostSessions,
  contextLength: number,
): void {
  const { part } = w;
  w.outputs = new Array(part.items.length);
  w.inputDigests = new Array(part.items.length);
  const attention = part.items.flatMap((item, i) => (item.matrix === 'attn' ? [{ item, i }] : []));
  for (const { item } of attention) {
    const key = exchangeShardKey(item.layer, item.matrix, item.shard);
    const held = sessions.get(part.session).windows.get(key);
    if (item.keepTo > 0 && !held) {
      throw new InferCacheMissingError(
        `no attention cache of shard ${key} for this session; send the window`,
      );
    }
    try {
      if (held) held.cache.checkAppend(item, item.rows);
      else {
        checkWindow(item, 0);
        if (item.rows > contextLength) throw new KvCacheFullError(contextLength);
      }
    } catch (cause) {
      throw new InferMalformedError(`shard ${key}: ${(cause as Error).message}`, { cause });
    }
  }
  for (const { item, i } of attention) {
    const key = exchangeShardKey(item.layer, item.matrix, item.shard);
    const shard = shards.get(key) as AttnShardWeights;
    const window = sessions.window(part.session, key, shard, contextLength);
    const x = w.inputs[i]!;
    w.outputs[i] = attnPartial(shard, window.cache, x, item.rows, item, item.outFrom);
    window.chain.applyWindow(item);
    window.chain.append(x, item.rows, shard.dModel);
    w.inputDigests[i] = window.chain.digest(item.rows - item.outFrom);
  }
}

/**
 * Computes the MLP and head items of every admitted part: all items of one
 * shard across all parts as one matrix product over their stacked rows (the
 * weights read once for all sessions); each row's result has the same bits as
 * computing it alone.
 */
export function computeStacked(
  work: readonly PartWork[],
  shards: ReadonlyMap<string, ExchangeShardWeights>,
): void {
  const stacked = new Map<string, Array<{ w: PartWork; i: number }>>();
  for (const w of work) {
    w.part.items.forEach((item, i) => {
      if (item.matrix === 'attn') return;
      w.inputDigests[i] = vectorDigest(w.inputs[i]!);
      const key = exchangeShardKey(item.layer, item.matrix, item.shard);
      const list = stacked.get(key) ?? [];
      list.push({ w, i });
      stacked.set(key, list);
    });
  }
  for (const [key, list] of stacked) {
    const shard = shards.get(key)!;
    if (shard.kind === 'attn') throw new InferShardNotHostedError(`shard ${key} is an attention shard`);
    const rows = list.reduce((n, { w, i }) => n + w.part.items[i]!.rows, 0);
    const x = new Float32Array(rows * shard.dModel);
    let at = 0;
    for (const { w, i } of list) {
      x.set(w.inputs[i]!, at);
      at += w.inputs[i]!.length;
    }
    const out = shard.kind === 'mlp' ? mlpPartial(shard, x, rows) : headLogits(shard, x, rows);
    const width = out.length / rows;
    let row = 0;
    for (const { w, i } of list) {
      const n = w.part.items[i]!.rows;
      w.outputs[i] = out.slice(row * width, (row + n) * width);
      row += n;
    }
  }
}

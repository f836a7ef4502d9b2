import type { Hex } from 'viem';
import { encodeTensor } from '../core/codec.ts';
import { digestBytes } from '../core/digest.ts';

/** One data shard as a blob: the codec bytes of an i32 tensor `[n]` of token ids, and their digest. */
export type ShardBlob = { readonly bytes: Uint8Array; readonly digest: Hex; readonly tokens: number };

/** Encodes a shard of token ids as the blob a `gradient` task reads. */
export function shardBlob(ids: Int32Array): ShardBlob {
  const bytes = encodeTensor({ dtype: 'i32', shape: [ids.length], data: ids });
  return { bytes, digest: digestBytes(bytes), tokens: ids.length };
}

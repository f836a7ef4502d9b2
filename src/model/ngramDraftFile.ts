import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import type { DType, Tensor } from '../core/tensor.ts';
import { InvalidNgramDraftError } from './errors.ts';
import { NgramDraft, type NgramTables } from './ngramDraft.ts';

/** The `__metadata__` key holding the draft's order, vocabulary size and discount as JSON. */
export const NGRAM_DRAFT_METADATA_KEY = 'concord.ngram';

/** The tensors of a draft file: name, dtype and the table they hold. */
const TENSORS = [
  ['node.token', 'i8', 'nodeToken'],
  ['node.children', 'i8', 'nodeChildren'],
  ['node.entries', 'i8', 'nodeEntries'],
  ['node.total', 'i32', 'nodeTotal'],
  ['entry.token', 'i8', 'entryToken'],
  ['entry.count', 'i32', 'entryCount'],
] as const satisfies readonly (readonly [string, DType, keyof NgramTables])[];

/** A draft read from a file with the file's other metadata. */
export type DecodedNgramDraft = { draft: NgramDraft; metadata: Record<string, string> };

/**
 * Writes a draft as a safetensors file: its tables as 1-D i8/i32 tensors and
 * `{order, vocabSize, discount}` under `concord.ngram`, plus `metadata`
 * (e.g. the tokenizer). Deterministic bytes.
 */
export function encodeNgramDraft(draft: NgramDraft, metadata: Record<string, string> = {}): Uint8Array {
  const t = draft.tables;
  const tensors: Record<string, Tensor> = {};
  for (const [name, dtype, field] of TENSORS) {
    const data = t[field];
    tensors[name] = { dtype, shape: [data.length], data } as Tensor;
  }
  const shape = { order: t.order, vocabSize: t.vocabSize, discount: t.discount };
  return encodeSafetensors(tensors, { ...metadata, [NGRAM_DRAFT_METADATA_KEY]: JSON.stringify(shape) });
}

/**
 * Reads a file written by `encodeNgramDraft`. Throws the safetensors reader's
 * errors for a malformed file and InvalidNgramDraftError for missing or
 * inconsistent tables.
 */
export function decodeNgramDraft(bytes: Uint8Array): DecodedNgramDraft {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const { [NGRAM_DRAFT_METADATA_KEY]: raw, ...rest } = metadata;
  let shape: { order?: unknown; vocabSize?: unknown; discount?: unknown };
  try {
    shape = JSON.parse(raw ?? 'null') ?? {};
  } catch (cause) {
    throw new InvalidNgramDraftError(`metadata '${NGRAM_DRAFT_METADATA_KEY}' is not JSON`, { cause });
  }
  const number = (key: 'order' | 'vocabSize' | 'discount'): number => {
    const value = shape[key];
    if (typeof value !== 'number')
      throw new InvalidNgramDraftError(`metadata '${NGRAM_DRAFT_METADATA_KEY}' has no number '${key}'`);
    return value;
  };
  const tables: Record<string, unknown> = {
    order: number('order'),
    vocabSize: number('vocabSize'),
    discount: number('discount'),
  };
  for (const [name, dtype, field] of TENSORS) {
    const tensor = tensors[name];
    if (!tensor || tensor.dtype !== dtype || tensor.shape.length !== 1)
      throw new InvalidNgramDraftError(`the file has no 1-D ${dtype} tensor '${name}'`);
    tables[field] = tensor.data;
  }
  if (Object.keys(tensors).length !== TENSORS.length)
    throw new InvalidNgramDraftError('the file holds tensors that are no table of a draft');
  return { draft: NgramDraft.fromTables(tables as NgramTables), metadata: rest };
}

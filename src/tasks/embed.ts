import type { Hex } from 'viem';
import { encodeTensor } from '../core/codec.ts';
import { Gpt } from '../model/gpt.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { readCheckpoint } from './checkpoint.ts';
import { TaskInputError } from './errors.ts';
import { defineTaskKind, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { digestField, oneOfField, specObject } from './specFields.ts';
import { tokenizerFromMetadata } from './tokenizerMetadata.ts';

/**
 * Spec of an `embed` task: the texts of a blob (UTF-8 JSON array of strings)
 * embedded by a model checkpoint. Pooling `mean`: the mean over positions of
 * the final hidden states (ln_f's output), computed by `Gpt.embed`.
 */
export type EmbedSpec = {
  kind: 'embed';
  kernel: typeof KERNEL_VERSION;
  /** Digest of the model checkpoint; its metadata names the tokenizer. */
  model: Hex;
  /** Digest of the texts blob: UTF-8 JSON array of 1..MAX_EMBED_TEXTS non-empty strings. */
  texts: Hex;
  pooling: 'mean';
};

const KIND = 'embed';
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
/** Most texts one embed task takes. */
export const MAX_EMBED_TEXTS = 1024;
/** Largest texts blob accepted, checked before parsing. */
export const MAX_EMBED_TEXTS_BYTES = 4 * 1024 * 1024;

/** Decodes and checks the texts blob; TaskInputError if it is not a JSON array of 1..MAX non-empty strings. */
export function parseTexts(bytes: Uint8Array): string[] {
  if (bytes.byteLength > MAX_EMBED_TEXTS_BYTES) {
    throw new TaskInputError(
      `Texts blob is ${bytes.byteLength} bytes, over the ${MAX_EMBED_TEXTS_BYTES}-byte limit.`,
      {
        hint: 'Split the texts over several embed tasks.',
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new TaskInputError('Texts blob is not UTF-8 JSON.', { cause });
  }
  const ok =
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= MAX_EMBED_TEXTS &&
    value.every((t) => typeof t === 'string' && t.length > 0);
  if (!ok) {
    throw new TaskInputError(`Texts blob must be a JSON array of 1 to ${MAX_EMBED_TEXTS} non-empty strings.`);
  }
  return value as string[];
}

/**
 * The `embed` task kind: an f32 tensor `(n, dModel)` whose row i embeds text
 * i. Each text is tokenized with the checkpoint's tokenizer and truncated to
 * the model's first `contextLength` tokens. Deterministic on every node.
 */
export const embedKind: TaskKind<EmbedSpec> = defineTaskKind<EmbedSpec>({
  name: KIND,
  parseSpec(json) {
    const obj = specObject(json, KIND, ['kernel', 'model', 'texts', 'pooling']);
    return {
      kind: KIND,
      kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
      model: digestField(obj, 'model'),
      texts: digestField(obj, 'texts'),
      pooling: oneOfField(obj, 'pooling', ['mean'] as const),
    };
  },
  inputs(spec) {
    return [spec.model, spec.texts];
  },
  async run(spec, ctx) {
    throwIfTaskAborted(ctx.signal);
    const [modelBytes, textBytes] = await Promise.all([ctx.getBlob(spec.model), ctx.getBlob(spec.texts)]);
    const texts = parseTexts(textBytes);
    const { params, metadata } = readCheckpoint(modelBytes);
    const { dModel: C, contextLength } = params.config;
    const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
    const model = new Gpt(params);
    const out = new Float32Array(texts.length * C);
    for (const [i, text] of texts.entries()) {
      throwIfTaskAborted(ctx.signal);
      out.set(model.embed(tokenizer.encode(text).slice(0, contextLength)), i * C);
    }
    return encodeTensor({ dtype: 'f32', shape: [texts.length, C], data: out });
  },
});

import { readFileSync } from 'node:fs';
import type { DraftModel } from '../../inference/index.ts';
import { decodeNgramDraft } from '../../model/index.ts';
import { SHIPPED_DRAFT } from '../../model/shipped.ts';
import { TOKENIZER_METADATA_KEY } from '../../tasks/tokenizerMetadata.ts';

let shipped: { draft: DraftModel; tokenizer: string | undefined } | undefined;

/**
 * The draft model a gateway speculates with for a checkpoint whose tokenizer
 * metadata is `tokenizer`: the shipped n-gram draft
 * (`models/concord-char-v3-draft.safetensors`, read once) when it was built
 * for exactly that tokenizer, else none. A draft only proposes tokens — the
 * hosts' consensus decides every one — so a mismatched draft would cost
 * speed, never correctness; it is refused anyway, as it would accept nothing.
 */
export function draftFor(tokenizer: string | undefined): DraftModel | undefined {
  if (tokenizer === undefined) return undefined;
  if (!shipped) {
    const { draft, metadata } = decodeNgramDraft(readFileSync(SHIPPED_DRAFT));
    shipped = { draft, tokenizer: metadata[TOKENIZER_METADATA_KEY] };
  }
  return shipped.tokenizer === tokenizer ? shipped.draft : undefined;
}

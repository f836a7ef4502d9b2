import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the network's shipped character model (`models/README.md`); every user reads it from here. */
export const SHIPPED_CHECKPOINT = fileURLToPath(
  new URL('../../models/concord-char-v3.safetensors', import.meta.url),
);

/** The shipped checkpoint's file name, for labels in benchmark output. */
export const SHIPPED_CHECKPOINT_NAME = basename(SHIPPED_CHECKPOINT);

/** Path of the shipped model's n-gram draft for speculative decoding (`models/README.md`, `decodeNgramDraft`). */
export const SHIPPED_DRAFT = fileURLToPath(
  new URL('../../models/concord-char-v3-draft.safetensors', import.meta.url),
);

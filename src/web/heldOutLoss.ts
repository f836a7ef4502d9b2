import type { Hex } from 'viem';
import { bitsPerChar, evaluationWindows } from '../data/evaluate.ts';
import { joinSpeeches, loadSpeeches, splitSpeeches } from '../data/sotu.ts';
import { Gpt } from '../model/index.ts';
import { readCheckpoint } from '../tasks/checkpoint.ts';
import { tokenizerFromMetadata } from '../tasks/tokenizerMetadata.ts';

/**
 * A model version's loss on the held-out State of the Union speeches (the
 * split the network's model is trained without, `src/data/sotu.ts`), in bits
 * per token (per character for character models), or why there is none.
 * Display only: it never goes to consensus.
 */
export type HeldOutLoss =
  | { state: 'measured'; bitsPerToken: number; tokens: number }
  | { state: 'pending' }
  | { state: 'unavailable'; reason: string };

/** Options of {@link createHeldOutLossMeter}. */
export type HeldOutLossOptions = {
  /** Windows scored per version (default 16); each scores its second half. */
  windows?: number;
  /** Tokens per window (default 128, capped at the model's context; even). */
  seqLen?: number;
  /** Larger models are not evaluated (default 5 M parameters: the node's event loop runs the forward passes). */
  maxParams?: number;
};

/** Reads a stored checkpoint blob by digest, or null when this node does not hold it. */
export type CheckpointSource = (digest: Hex) => Uint8Array | null;

let heldOutText: string | undefined;

/** The held-out split as one string, read once from the corpus package. */
function heldOut(): string {
  heldOutText ??= joinSpeeches(splitSpeeches(loadSpeeches()).heldOut);
  return heldOutText;
}

/**
 * A cache of held-out losses by checkpoint digest. The first call for a
 * stored digest starts the evaluation in the background and answers
 * `pending`; later calls answer the result. A digest this node does not hold
 * is asked again next time (the node may fetch it to host the version).
 */
export function createHeldOutLossMeter(
  checkpoint: CheckpointSource,
  options: HeldOutLossOptions = {},
): (digest: Hex) => HeldOutLoss {
  const results = new Map<Hex, HeldOutLoss>();
  return (digest) => {
    const known = results.get(digest);
    if (known) return known;
    const bytes = checkpoint(digest);
    if (bytes === null) return { state: 'unavailable', reason: 'checkpoint not stored on this node' };
    results.set(digest, { state: 'pending' });
    measureHeldOutLoss(bytes, options).then(
      (loss) => results.set(digest, loss),
      (err: unknown) =>
        results.set(digest, {
          state: 'unavailable',
          reason: `not a readable checkpoint (${err instanceof Error ? err.name : 'error'})`,
        }),
    );
    return { state: 'pending' };
  };
}

/**
 * Scores a checkpoint on `windows` pieces of the held-out text spread evenly
 * over it, each encoded with the checkpoint's own tokenizer, a few windows at
 * a time with the event loop free in between.
 */
export async function measureHeldOutLoss(
  bytes: Uint8Array,
  options: HeldOutLossOptions = {},
): Promise<HeldOutLoss> {
  const { params, metadata } = readCheckpoint(bytes);
  const maxParams = options.maxParams ?? 5_000_000;
  if (params.flat.length > maxParams) {
    return {
      state: 'unavailable',
      reason: `model too large to evaluate here (${params.flat.length} params)`,
    };
  }
  const seqLen = 2 * Math.floor(Math.min(options.seqLen ?? 128, params.config.contextLength) / 2);
  const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
  const text = heldOut();
  // Characters per piece: enough for seqLen + 1 tokens of any tokenizer that averages >= 1 char per token.
  const pieceChars = 8 * (seqLen + 1);
  const starts = evaluationWindows(text.length, pieceChars, options.windows ?? 16);
  const pieces = starts
    .map((s) => tokenizer.encode(text.slice(s, s + pieceChars)).slice(0, seqLen + 1))
    .filter((ids) => ids.length === seqLen + 1);
  const ids = Int32Array.from(pieces.flat());
  const model = new Gpt(params);
  const batch = 4;
  let bits = 0;
  let tokens = 0;
  for (let first = 0; first < pieces.length; first += batch) {
    const group = pieces.slice(first, first + batch).map((_, i) => (first + i) * (seqLen + 1));
    const scored = bitsPerChar(model, ids, seqLen, group, batch);
    bits += scored.bpc * scored.chars;
    tokens += scored.chars;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (tokens === 0) return { state: 'unavailable', reason: 'the held-out text gave no full window' };
  return { state: 'measured', bitsPerToken: bits / tokens, tokens };
}

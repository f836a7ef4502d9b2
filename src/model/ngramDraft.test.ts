import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../core/safetensors.ts';
import { NgramDraft, type NgramDraftOptions, type NgramTables } from './ngramDraft.ts';
import { decodeNgramDraft, encodeNgramDraft, NGRAM_DRAFT_METADATA_KEY } from './ngramDraftFile.ts';
import { Rng } from './rng.ts';
import { importGpt } from './safetensors.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_DRAFT } from './shipped.ts';

const all: NgramDraftOptions = { order: 2, minContextCount: 1, minCount: 1, discount: 0.5 };

/** A pseudo-random sequence with structure: a repeated phrase with noise. */
function text(length: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const phrase = [1, 2, 3, 4, 2, 5, 6];
  return Int32Array.from({ length }, (_, i) =>
    rng.below(4) === 0 ? rng.below(8) : (phrase[i % 7] as number),
  );
}

function close(got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs((got[i] as number) - (want[i] as number)) < 1e-15, `${i}: ${got[i]} vs ${want[i]}`);
}

describe('NgramDraft', () => {
  it('interpolates discounted counts from the empty context up to the longest stored one', () => {
    // Unigrams 0:3 1:2 2:1; after 0: 1 twice, 2 once; 2 is never followed.
    const draft = NgramDraft.train(Int32Array.from([0, 1, 0, 1, 0, 2]), 3, all);
    const root = [0.5, 1 / 3, 1 / 6];
    close(draft.distribution([]), root);
    close(draft.distribution([0]), [1 / 6, 11 / 18, 2 / 9]);
    close(draft.distribution([2]), root);
    close(draft.distribution([1, 2]), root);
  });

  it('drops rare contexts and continuations: the shorter context answers for them', () => {
    const ids = Int32Array.from([0, 1, 0, 1, 0, 2]);
    const pruned = NgramDraft.train(ids, 3, { ...all, minContextCount: 4 });
    close(pruned.distribution([0]), pruned.distribution([]));
    const rare = NgramDraft.train(ids, 3, { ...all, minCount: 2 });
    // After 0 only 1 (seen twice) is listed: q(x) = [x = 1]·(2 − 0.5)/3 + carry·root(x), carry = 1 − 1.5/3.
    const root = rare.distribution([]);
    const carry = 0.5;
    close(rare.distribution([0]), [
      carry * (root[0] as number),
      0.5 + carry * (root[1] as number),
      carry * (root[2] as number),
    ]);
  });

  it('is deterministic: the same data gives the same file bytes, other data other bytes', () => {
    const options = { order: 4, minContextCount: 2, minCount: 2, discount: 0.75 };
    const a = encodeNgramDraft(NgramDraft.train(text(3000, 1), 8, options));
    assert.deepEqual(encodeNgramDraft(NgramDraft.train(text(3000, 1), 8, options)), a);
    assert.notDeepEqual(encodeNgramDraft(NgramDraft.train(text(3000, 2), 8, options)), a);
  });

  it('gives distributions that sum to 1 with every token possible, and continues a learned pattern greedily', () => {
    const draft = NgramDraft.train(text(5000, 3), 8, {
      order: 5,
      minContextCount: 2,
      minCount: 2,
      discount: 0.75,
    });
    const rng = new Rng(4);
    for (let i = 0; i < 50; i++) {
      const context = Array.from({ length: rng.below(8) }, () => rng.below(8));
      const q = draft.distribution(context);
      assert.ok(Math.abs(q.reduce((s, v) => s + v, 0) - 1) < 1e-12);
      assert.ok(q.every((v) => v > 0));
    }
    assert.deepEqual(draft.draft([7, 1, 2, 3], 6).tokens, [4, 2, 5, 6, 1, 2]);
  });

  it('drafts from the last order − 1 tokens only; with an rng it samples, reproducibly, from the q it reports', () => {
    const draft = NgramDraft.train(text(5000, 5), 8, {
      order: 3,
      minContextCount: 1,
      minCount: 1,
      discount: 0.5,
    });
    assert.deepEqual(draft.draft([0, 0, 5, 6, 1], 4), draft.draft([3, 6, 1], 4));
    const a = draft.draft([1, 2], 12, new Rng(9));
    assert.deepEqual(draft.draft([1, 2], 12, new Rng(9)), a);
    a.tokens.forEach((t, i) => {
      assert.ok((a.q[i]![t] as number) > 0);
    });
    const greedy = draft.draft([1, 2], 12);
    assert.notDeepEqual(a.tokens, greedy.tokens);
    assert.deepEqual(draft.draft([1], 0), { tokens: [], q: [] });
  });

  it('rejects bad options, ids and draft lengths with InvalidNgramDraftError', () => {
    const ids = Int32Array.from([1, 2, 3]);
    const bad: Partial<NgramDraftOptions>[] = [
      { order: 0 },
      { order: 8 },
      { minContextCount: 0 },
      { minCount: 1.5 },
      { discount: 1.5 },
      { discount: Number.NaN },
    ];
    for (const b of bad)
      assert.throws(() => NgramDraft.train(ids, 5, { ...all, ...b }), { name: 'InvalidNgramDraftError' });
    assert.throws(() => NgramDraft.train(ids, 128, all), { name: 'InvalidNgramDraftError' });
    assert.throws(() => NgramDraft.train(ids, 3, all), { name: 'InvalidNgramDraftError' });
    assert.throws(() => NgramDraft.train(new Int32Array(0), 3, all), { name: 'InvalidNgramDraftError' });
    const draft = NgramDraft.train(ids, 5, all);
    assert.throws(() => draft.draft([1], -1), { name: 'InvalidNgramDraftError' });
  });
});

describe('n-gram draft files', () => {
  const draft = NgramDraft.train(text(4000, 6), 8, {
    order: 4,
    minContextCount: 2,
    minCount: 2,
    discount: 0.75,
  });

  it('round-trips the tables and carries extra metadata', () => {
    const { draft: back, metadata } = decodeNgramDraft(encodeNgramDraft(draft, { note: 'x' }));
    assert.deepEqual(back.tables, draft.tables);
    assert.deepEqual(metadata, { note: 'x' });
    assert.deepEqual(back.draft([1, 2, 3], 5), draft.draft([1, 2, 3], 5));
  });

  it('rejects inconsistent tables and missing parts with InvalidNgramDraftError', () => {
    const t = draft.tables;
    const edits: Partial<NgramTables>[] = [
      { nodeTotal: t.nodeTotal.map((v, i) => (i === 3 ? 0 : v)) },
      { nodeChildren: t.nodeChildren.map((v, i) => (i === 0 ? v + 1 : v)) },
      { entryToken: t.entryToken.map((v, i) => (i === 1 ? 9 : v)) },
      { entryCount: t.entryCount.slice(1) },
      { nodeToken: t.nodeToken.map((v, i) => (i === 2 ? (t.nodeToken[1] as number) : v)) },
      { nodeTotal: new Int32Array(0), nodeToken: new Int8Array(0) },
    ];
    for (const edit of edits)
      assert.throws(() => NgramDraft.fromTables({ ...t, ...edit }), { name: 'InvalidNgramDraftError' });
    const bytes = encodeNgramDraft(draft);
    const { tensors, metadata } = decodeSafetensors(bytes);
    const withMetadata = (m: Record<string, string>) => decodeNgramDraft(encodeSafetensors(tensors, m));
    assert.throws(() => withMetadata({}), { name: 'InvalidNgramDraftError' });
    assert.throws(() => withMetadata({ [NGRAM_DRAFT_METADATA_KEY]: 'not json' }), {
      name: 'InvalidNgramDraftError',
    });
    assert.throws(() => withMetadata({ [NGRAM_DRAFT_METADATA_KEY]: '{"order":"7"}' }), {
      name: 'InvalidNgramDraftError',
    });
    const { 'node.total': _dropped, ...fewer } = tensors;
    assert.throws(() => decodeNgramDraft(encodeSafetensors(fewer, metadata)), {
      name: 'InvalidNgramDraftError',
    });
    const extra = { ...tensors, more: tensors['node.total']! };
    assert.throws(() => decodeNgramDraft(encodeSafetensors(extra, metadata)), {
      name: 'InvalidNgramDraftError',
    });
    assert.throws(
      () => decodeNgramDraft(bytes.subarray(0, bytes.length - 1)),
      (e: Error) => e.name.startsWith('Safetensors'),
    );
  });

  it('ships a draft for the shipped model: its tokenizer is the checkpoint’s, order 7', () => {
    const { draft: shipped, metadata } = decodeNgramDraft(readFileSync(SHIPPED_DRAFT));
    const checkpoint = importGpt(readFileSync(SHIPPED_CHECKPOINT));
    assert.equal(metadata['concord.tokenizer'], checkpoint.metadata['concord.tokenizer']);
    assert.equal(shipped.vocabSize, checkpoint.config.vocabSize);
    assert.equal(shipped.order, 7);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesToHex, type Hex } from 'viem';
import { makeGptConfig } from '../config.ts';
import { GptParams } from '../params.ts';
import { Rng } from '../rng.ts';
import { encodePiece } from './encode.ts';
import { pieceLayout } from './layout.ts';
import { PieceTree, pieceTreeOf, type RangeProof, verifyPieceRange } from './tree.ts';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** n distinct small payloads of varying length. */
function payloadsOf(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    Uint8Array.from({ length: 1 + (i % 5) }, (_, j) => (i * 7 + j) & 255),
  );
}

/** Flips one bit of a copy of a hex hash. */
function flipHex(h: Hex): Hex {
  const digit = (Number.parseInt(h[10]!, 16) ^ 1).toString(16);
  return `${h.slice(0, 10)}${digit}${h.slice(11)}` as Hex;
}

describe('PieceTree', () => {
  it('computes the root of the padded tree as specified (0x00 leaves, 0x01 inner, zero padding)', () => {
    const leaves = payloadsOf(3);
    const [a, b, c] = leaves.map((p) => sha(new Uint8Array([0]), p));
    const zero = new Uint8Array(32);
    const root = sha(
      new Uint8Array([1]),
      sha(new Uint8Array([1]), a!, b!),
      sha(new Uint8Array([1]), c!, zero),
    );
    assert.equal(PieceTree.fromLeaves(leaves, 3).root, bytesToHex(root));
    assert.equal(
      PieceTree.fromLeaves(payloadsOf(1), 1).root,
      bytesToHex(sha(new Uint8Array([0]), payloadsOf(1)[0]!)),
    );
  });

  it('proves every range of trees of 1 to 13 leaves, and a proof fails for any other payloads', () => {
    for (let n = 1; n <= 13; n++) {
      const leaves = payloadsOf(n);
      const tree = PieceTree.fromLeaves(leaves, n);
      for (let s = 0; s < n; s++) {
        for (let e = s + 1; e <= n; e++) {
          const proof = tree.proveRange(s, e);
          assert.ok(verifyPieceRange(tree.root, proof, leaves.slice(s, e)), `n ${n} [${s}, ${e})`);
          const moved = e < n ? leaves.slice(s + 1, e + 1) : s > 0 ? leaves.slice(s - 1, e - 1) : undefined;
          if (moved) assert.equal(verifyPieceRange(tree.root, proof, moved), false);
        }
      }
    }
  });

  it('rejects a tampered payload, a tampered, missing or extra sibling, and bad counts or ranges', () => {
    const n = 11;
    const leaves = payloadsOf(n);
    const tree = PieceTree.fromLeaves(leaves, n);
    const proof = tree.proveRange(3, 7);
    const good = leaves.slice(3, 7);
    assert.ok(proof.siblings.length > 0);
    assert.ok(verifyPieceRange(tree.root, proof, good));
    const tampered = good.map((p) => p.slice());
    tampered[2]![0]! ^= 1;
    assert.equal(verifyPieceRange(tree.root, proof, tampered), false);
    for (let i = 0; i < proof.siblings.length; i++) {
      const siblings = proof.siblings.map((s, j) => (j === i ? flipHex(s) : s));
      assert.equal(verifyPieceRange(tree.root, { ...proof, siblings }, good), false, `sibling ${i}`);
      const missing = proof.siblings.filter((_, j) => j !== i);
      assert.equal(verifyPieceRange(tree.root, { ...proof, siblings: missing }, good), false);
    }
    const extra = [...proof.siblings, proof.siblings[0]!];
    assert.equal(verifyPieceRange(tree.root, { ...proof, siblings: extra }, good), false);
    assert.equal(verifyPieceRange(tree.root, proof, good.slice(1)), false);
    assert.equal(verifyPieceRange(tree.root, proof, [...good, good[0]!]), false);
    assert.equal(verifyPieceRange(flipHex(tree.root), proof, good), false);
    const bad: RangeProof[] = [
      { ...proof, start: -1, end: 3 },
      { ...proof, start: 7, end: 7 },
      { ...proof, start: 8, end: 12 },
      { ...proof, start: 3.5, end: 7.5 },
      { ...proof, siblings: ['0x12', ...proof.siblings.slice(1)] },
      { ...proof, leafCount: 0 },
    ];
    for (const p of bad) assert.equal(verifyPieceRange(tree.root, p, good.slice(0, p.end - p.start)), false);
  });

  it('rejects a wrong leaf count: another depth, or a sibling the claimed count makes padding', () => {
    const leaves = payloadsOf(12);
    const tree = PieceTree.fromLeaves(leaves, 12);
    const proof = tree.proveRange(4, 8);
    for (const leafCount of [8, 17, 40]) {
      assert.equal(
        verifyPieceRange(tree.root, { ...proof, leafCount }, leaves.slice(4, 8)),
        false,
        `${leafCount}`,
      );
    }
    // Leaves [8, 12) are real: a claimed count of 8 makes their subtree padding, which the verifier computes itself.
    const first = tree.proveRange(0, 8);
    assert.ok(verifyPieceRange(tree.root, first, leaves.slice(0, 8)));
    assert.equal(verifyPieceRange(tree.root, { ...first, leafCount: 8 }, leaves.slice(0, 8)), false);
  });

  it('throws InvalidPieceRangeError for a wrong number of payloads or a range outside the tree', () => {
    const name = { name: 'InvalidPieceRangeError' };
    assert.throws(() => PieceTree.fromLeaves(payloadsOf(4), 5), name);
    assert.throws(() => PieceTree.fromLeaves(payloadsOf(6), 5), name);
    assert.throws(() => PieceTree.fromLeaves([], 0), name);
    const tree = PieceTree.fromLeaves(payloadsOf(5), 5);
    for (const [s, e] of [
      [0, 6],
      [3, 3],
      [-1, 2],
      [4, 2],
    ] as const) {
      assert.throws(() => tree.proveRange(s, e), name);
    }
  });
});

describe('pieceTreeOf', () => {
  const config = makeGptConfig({ vocabSize: 11, contextLength: 4, dModel: 8, nHeads: 2, nLayers: 2 });
  const params = GptParams.init(config, 3);
  const metadata = { tokenizer: 'char', format: 'pt' };

  it('is the tree of encodePiece of every leaf, and proves ranges of it', () => {
    const { leafCount } = pieceLayout(config);
    const payloads = Array.from({ length: leafCount }, (_, i) => encodePiece(params, metadata, i));
    const tree = pieceTreeOf(params, metadata);
    assert.equal(tree.root, PieceTree.fromLeaves(payloads, leafCount).root);
    assert.ok(verifyPieceRange(tree.root, tree.proveRange(5, 40), payloads.slice(5, 40)));
  });

  it('changes its root when any single weight or the metadata changes', () => {
    const root = pieceTreeOf(params, metadata).root;
    const rng = new Rng(5, 0);
    const indices = [0, params.flat.length - 1];
    for (let i = 0; i < 12; i++) indices.push(Math.floor(rng.uniform() * params.flat.length));
    for (const i of indices) {
      const changed = params.clone();
      changed.flat[i] = changed.flat[i]! + 0.5;
      assert.notEqual(pieceTreeOf(changed, metadata).root, root, `weight ${i}`);
    }
    assert.notEqual(pieceTreeOf(params, { ...metadata, tokenizer: 'gpt2' }).root, root);
    assert.equal(pieceTreeOf(params.clone(), { format: 'pt', tokenizer: 'char' }).root, root);
  });
});

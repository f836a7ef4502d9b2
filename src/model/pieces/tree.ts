import { createHash } from 'node:crypto';
import { bytesToHex, type Hex, hexToBytes } from 'viem';
import { isBytes32 } from '../../core/bytes32.ts';
import { InvalidPieceRangeError } from '../errors.ts';
import type { GptParams } from '../params.ts';
import { piecePayloads } from './encode.ts';
import { pieceLayout } from './layout.ts';

/**
 * The Merkle tree over a model's pieces: leaf hash = sha256(0x00 ‖ payload),
 * inner node = sha256(0x01 ‖ left ‖ right); the leaf level is padded to the
 * next power of two with the 32-byte zero value, so a node whose leaves are
 * all padding is Z_k (Z_0 = zero, Z_{k+1} = sha256(0x01 ‖ Z_k ‖ Z_k)).
 */

/**
 * What proves leaves [start, end) of a tree of `leafCount` leaves: the
 * sibling hashes needed to recompute the root, level by level from the leaves
 * up, at each level first the left boundary sibling (when the range's first
 * node is a right child) then the right boundary sibling (when its last node
 * is a left child). Right siblings made only of padding are left out: the
 * verifier knows them (Z_k), so a proof fixes which leaves are padding.
 */
export type RangeProof = {
  readonly leafCount: number;
  readonly start: number;
  readonly end: number;
  readonly siblings: readonly Hex[];
};

const LEAF = new Uint8Array([0]);
const INNER = new Uint8Array([1]);

/** A model's piece tree with every level of hashes kept (about 2 × 32 B per padded leaf), so proofs are quick. */
export class PieceTree {
  /** The root R, 0x-prefixed hex. */
  readonly root: Hex;
  readonly leafCount: number;
  /** levels[k] holds the 2^(depth−k) hashes of level k, 32 bytes each; levels[depth] is the root. */
  readonly #levels: readonly Uint8Array[];

  private constructor(leafCount: number, levels: Uint8Array[]) {
    this.leafCount = leafCount;
    this.#levels = levels;
    this.root = bytesToHex(levels[levels.length - 1]!);
  }

  /**
   * Hashes `leafCount` payloads into a tree. Each payload is hashed as soon as
   * it is pulled, so the iterable may reuse one buffer. Throws
   * InvalidPieceRangeError when leafCount is not a positive integer or the
   * iterable yields another number of payloads.
   */
  static fromLeaves(payloads: Iterable<Uint8Array>, leafCount: number): PieceTree {
    if (!Number.isSafeInteger(leafCount) || leafCount < 1 || leafCount > 2 ** 40) {
      throw new InvalidPieceRangeError(`a tree needs a positive leaf count (got ${leafCount})`);
    }
    const width = 2 ** depthOf(leafCount);
    const leaves = new Uint8Array(width * 32);
    let i = 0;
    for (const payload of payloads) {
      if (i === leafCount) throw new InvalidPieceRangeError(`more than ${leafCount} payloads`);
      leaves.set(leafHash(payload), 32 * i++);
    }
    if (i !== leafCount) throw new InvalidPieceRangeError(`${i} payloads for ${leafCount} leaves`);
    const levels = [leaves];
    for (let n = width / 2; n >= 1; n /= 2) {
      const below = levels[levels.length - 1]!;
      const level = new Uint8Array(n * 32);
      for (let j = 0; j < n; j++) level.set(innerHash(below.subarray(64 * j, 64 * j + 64)), 32 * j);
      levels.push(level);
    }
    return new PieceTree(leafCount, levels);
  }

  /** The proof of leaves [start, end); InvalidPieceRangeError unless 0 ≤ start < end ≤ leafCount. */
  proveRange(start: number, end: number): RangeProof {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      start >= end ||
      end > this.leafCount
    ) {
      throw new InvalidPieceRangeError(`leaves [${start}, ${end}) of a tree of ${this.leafCount}`);
    }
    const siblings: Hex[] = [];
    const node = (k: number, j: number) => bytesToHex(this.#levels[k]!.subarray(32 * j, 32 * j + 32));
    let [lo, hi] = [start, end];
    for (let k = 0; k < this.#levels.length - 1; k++) {
      if (lo % 2 === 1) siblings.push(node(k, lo - 1));
      if (hi % 2 === 1 && hi * 2 ** k < this.leafCount) siblings.push(node(k, hi));
      [lo, hi] = [Math.floor(lo / 2), Math.ceil(hi / 2)];
    }
    return { leafCount: this.leafCount, start, end, siblings };
  }
}

/** The piece tree of a model (weights and metadata; see encode.ts for the leaves). */
export function pieceTreeOf(params: GptParams, metadata: Record<string, string>): PieceTree {
  return PieceTree.fromLeaves(piecePayloads(params, metadata), pieceLayout(params.config).leafCount);
}

/**
 * True when `payloads` are leaves [proof.start, proof.end) of the tree with
 * root `root`. False for a malformed proof (bad numbers, a sibling that is not
 * 32-byte hex, missing or extra siblings), a wrong payload count, or any
 * tampered payload or sibling. The caller checks proof.leafCount against the
 * layout of the model it expects (a leaf count of the same tree depth whose
 * padding the range does not touch cannot be told apart here).
 */
export function verifyPieceRange(root: Hex, proof: RangeProof, payloads: readonly Uint8Array[]): boolean {
  const { leafCount, start, end, siblings } = proof;
  const ok =
    isBytes32(root) &&
    Number.isSafeInteger(leafCount) &&
    leafCount >= 1 &&
    leafCount <= 2 ** 40 &&
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    start >= 0 &&
    start < end &&
    end <= leafCount &&
    payloads.length === end - start &&
    Array.isArray(siblings) &&
    siblings.every(isBytes32);
  if (!ok) return false;
  let nodes = payloads.map(leafHash);
  let [lo, hi] = [start, end];
  let padding: Uint8Array = new Uint8Array(32); // Z_k
  let next = 0;
  const depth = depthOf(leafCount);
  for (let k = 0; k < depth; k++) {
    if (lo % 2 === 1) {
      if (next === siblings.length) return false;
      nodes.unshift(hexToBytes(siblings[next++]!));
    }
    if (hi % 2 === 1) {
      if (hi * 2 ** k >= leafCount) nodes.push(padding);
      else if (next === siblings.length) return false;
      else nodes.push(hexToBytes(siblings[next++]!));
    }
    const up: Uint8Array[] = [];
    for (let j = 0; j < nodes.length; j += 2) up.push(innerPair(nodes[j]!, nodes[j + 1]!));
    nodes = up;
    padding = innerPair(padding, padding);
    [lo, hi] = [Math.floor(lo / 2), Math.ceil(hi / 2)];
  }
  return next === siblings.length && bytesToHex(nodes[0]!) === root.toLowerCase();
}

/** Levels above the leaves: ceil(log2(leafCount)). */
function depthOf(leafCount: number): number {
  let depth = 0;
  while (2 ** depth < leafCount) depth++;
  return depth;
}

function leafHash(payload: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF).update(payload).digest();
}

/** sha256(0x01 ‖ pair) of two adjacent 32-byte hashes. */
function innerHash(pair: Uint8Array): Uint8Array {
  return createHash('sha256').update(INNER).update(pair).digest();
}

function innerPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(INNER).update(left).update(right).digest();
}

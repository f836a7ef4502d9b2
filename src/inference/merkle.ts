import { concat, type Hex, keccak256 } from 'viem';

/** keccak256 of the 32 zero bytes: the root of an empty list. */
export const EMPTY_MERKLE_ROOT: Hex = keccak256(new Uint8Array(32));

/**
 * Merkle root of 32-byte leaves in the convention of OpenZeppelin's
 * `MerkleProof`: each parent is keccak256 of its two children sorted
 * ascending, an odd node is carried up unchanged. A contract can then check
 * one vote with `MerkleProof.verify(proof, root, leaf)`.
 */
export function merkleRoot(leaves: readonly Hex[]): Hex {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT;
  let level = leaves.map((l) => l.toLowerCase() as Hex);
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1];
      next.push(b === undefined ? a : hashPair(a, b));
    }
    level = next;
  }
  return level[0]!;
}

/** The sibling hashes from leaf `index` up to the root (the proof `merkleRoot`'s tree gives). */
export function merkleProof(leaves: readonly Hex[], index: number): Hex[] {
  const proof: Hex[] = [];
  let level = leaves.map((l) => l.toLowerCase() as Hex);
  let i = index;
  while (level.length > 1) {
    const sibling = level[i ^ 1];
    if (sibling !== undefined) proof.push(sibling);
    const next: Hex[] = [];
    for (let j = 0; j < level.length; j += 2) {
      const a = level[j]!;
      const b = level[j + 1];
      next.push(b === undefined ? a : hashPair(a, b));
    }
    level = next;
    i >>= 1;
  }
  return proof;
}

/** Recomputes the root from a leaf and its proof (what `MerkleProof.processProof` does on chain). */
export function rootFromProof(leaf: Hex, proof: readonly Hex[]): Hex {
  let h = leaf.toLowerCase() as Hex;
  for (const p of proof) h = hashPair(h, p);
  return h;
}

/** keccak256 of two lower-case hashes, smaller first (commutative, as in OpenZeppelin). */
function hashPair(a: Hex, b: Hex): Hex {
  return keccak256(a < b ? concat([a, b]) : concat([b, a]));
}

import { concat, type Hex, keccak256 } from 'viem';

/**
 * A keccak Merkle tree over 32-byte leaves as OpenZeppelin's `MerkleProof`
 * verifies it: leaves sorted ascending and deduplicated (so the root does not
 * depend on the order votes arrived in), each pair hashed in sorted order
 * (`keccak256(min ‖ max)`), and an odd node at the end of a level promoted
 * unchanged. The root of no leaves is the zero hash.
 */
export function merkleRoot(leaves: readonly Hex[]): Hex {
  const levels = merkleLevels(leaves);
  return levels[levels.length - 1]?.[0] ?? ZERO_HASH;
}

/** The proof of `leaf` (sibling hashes bottom-up), or undefined if it is not a leaf. */
export function merkleProof(leaves: readonly Hex[], leaf: Hex): Hex[] | undefined {
  const levels = merkleLevels(leaves);
  let index = levels[0]?.indexOf(leaf.toLowerCase() as Hex) ?? -1;
  if (index < 0) return undefined;
  const proof: Hex[] = [];
  for (const level of levels.slice(0, -1)) {
    const sibling = level[index ^ 1];
    if (sibling !== undefined) proof.push(sibling);
    index >>= 1;
  }
  return proof;
}

/** Whether `proof` leads from `leaf` to `root` (as `MerkleProof.verify`). */
export function verifyMerkleProof(proof: readonly Hex[], root: Hex, leaf: Hex): boolean {
  return proof.reduce(hashPair, leaf.toLowerCase() as Hex) === root.toLowerCase();
}

const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

function hashPair(a: Hex, b: Hex): Hex {
  const [x, y] = a.toLowerCase() < b.toLowerCase() ? [a, b] : [b, a];
  return keccak256(concat([x, y]));
}

function merkleLevels(leaves: readonly Hex[]): Hex[][] {
  let level = [...new Set(leaves.map((l) => l.toLowerCase() as Hex))].sort();
  if (level.length === 0) return [];
  const levels = [level];
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right === undefined ? level[i]! : hashPair(level[i]!, right));
    }
    levels.push(next);
    level = next;
  }
  return levels;
}

import { type Address, concat, getAddress, type Hex, keccak256, slice, toBytes } from 'viem';

/**
 * The id of a pool (training round) owned by `owner`: the owner's 20-byte
 * address followed by the first 12 bytes of `keccak256(label)`. TaskMarket
 * reads the owner from the id (`poolOwnerOf`) and lets only the owner, and the
 * accounts it allowed with `setPoolCreator`, add tasks to the pool, so nobody
 * can squat or poison another account's rounds. Lower-case hex, as viem returns bytes32.
 */
export function poolId(owner: Address, label: string): Hex {
  return concat([getAddress(owner).toLowerCase() as Hex, slice(keccak256(toBytes(label)), 0, 12)]);
}

/** The owner encoded in a pool id (its first 20 bytes), as TaskMarket's `poolOwnerOf`. */
export function poolOwnerOf(pool: Hex): Address {
  return getAddress(slice(pool, 0, 20));
}

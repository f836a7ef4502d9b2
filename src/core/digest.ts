import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import { bytesToHex, type Hex, hexToBytes } from 'viem';
import { assertBytes32 } from './bytes32.ts';
import { encodeTensor } from './codec.ts';
import { InvalidCidError, UnsupportedCidError } from './digestErrors.ts';
import { sha256 } from './sha256.ts';
import type { Tensor } from './tensor.ts';

/**
 * Content digests. A result is named by the sha2-256 of its bytes, written as
 * `0x` + 64 lower-case hex characters: this is the `resultDigest` committed
 * and revealed on chain (a bytes32). The same hash wrapped as a CIDv1 (raw
 * codec, sha2-256 multihash) names the blob on the peer-to-peer network, so
 * `digestToCid` and `cidToDigest` convert between the two without the bytes.
 */

/** The multihash code of sha2-256. */
const SHA2_256 = 0x12;

/** Returns the sha2-256 digest of `bytes` as 0x-prefixed lower-case hex (a bytes32). */
export function digestBytes(bytes: Uint8Array): Hex {
  return bytesToHex(sha256(bytes));
}

/** Returns the digest of the canonical encoding of `t` (throws as `encodeTensor` does). */
export function tensorDigest(t: Tensor): Hex {
  return digestBytes(encodeTensor(t));
}

/** The digest of an f32 vector as a tensor of shape `[length]` (an input or output of a partial product). */
export function vectorDigest(v: Float32Array): Hex {
  return tensorDigest({ dtype: 'f32', shape: [v.length], data: v });
}

/** Returns the CIDv1 (raw codec, sha2-256) of `bytes`, base32 ("bafkrei..."). */
export function blobCid(bytes: Uint8Array): string {
  return cidOf(sha256(bytes));
}

/** Returns the CID naming the blob whose sha2-256 digest is `digest`. */
export function digestToCid(digest: Hex): string {
  assertBytes32(digest, 'digest');
  return cidOf(hexToBytes(digest));
}

/**
 * Returns the sha2-256 digest a blob CID carries. Accepts any multibase
 * encoding of a CIDv1 with the raw codec and a 32-byte sha2-256 multihash.
 */
export function cidToDigest(cid: string): Hex {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (err) {
    throw new InvalidCidError(cid, err);
  }
  if (parsed.version !== 1) throw new UnsupportedCidError(cid, `it is CIDv${parsed.version}`);
  if (parsed.code !== raw.code)
    throw new UnsupportedCidError(cid, `its codec is 0x${parsed.code.toString(16)}`);
  const { code, digest } = parsed.multihash;
  if (code !== SHA2_256 || digest.length !== 32) {
    throw new UnsupportedCidError(cid, `its multihash is 0x${code.toString(16)} of ${digest.length} bytes`);
  }
  return bytesToHex(digest);
}

function cidOf(hash: Uint8Array): string {
  return CID.createV1(raw.code, Digest.create(SHA2_256, hash)).toString();
}

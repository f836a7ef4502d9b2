import { type Address, getAddress, type Hex, isAddress, type LocalAccount, verifyTypedData } from 'viem';
import { isBytes32 } from '../core/bytes32.ts';
import {
  BLOB_PROTOCOL,
  DEFAULT_REQUEST_VALIDITY_SECONDS,
  MAX_REQUEST_VALIDITY_SECONDS,
} from './constants.ts';
import { BlobRequestInvalidError } from './errors.ts';

/**
 * Why a blob is wanted: `pool` a winner fetching a sibling result (context:
 * pool id), `host` an inference host fetching its shard (context: shard id),
 * `task` a committee member fetching a task's spec or inputs (context: task id).
 */
export type BlobPurpose = 'pool' | 'host' | 'task';

/** Every purpose a server accepts. */
export const BLOB_PURPOSES: readonly BlobPurpose[] = ['pool', 'host', 'task'];

/** A request for one blob, as signed by the requester's EVM account. */
export type BlobRequest = {
  /** Digest of the wanted blob (`0x` + 64 hex). */
  digest: Hex;
  /** The account whose on-chain rights the server checks. */
  requester: Address;
  chainId: number;
  /** 32 random bytes; a server accepts each nonce once. */
  nonce: Hex;
  /**
   * Unix seconds after which the request is void, by the chain's clock (the
   * signer's and the server's readings of one chain agree; their wall clocks
   * need not).
   */
  expiresAt: number;
  purpose: BlobPurpose;
  /** The pool id, shard id or task id (see `BlobPurpose`), as text. */
  context: string;
};

/** A blob request with its EIP-712 signature. */
export type SignedBlobRequest = BlobRequest & { signature: Hex };

/** Longest `context` accepted. */
export const MAX_CONTEXT_LENGTH = 256;

/** The EIP-712 types of a blob request. */
export const BLOB_REQUEST_TYPES = {
  BlobRequest: [
    { name: 'digest', type: 'bytes32' },
    { name: 'requester', type: 'address' },
    { name: 'chainId', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'purpose', type: 'string' },
    { name: 'context', type: 'string' },
  ],
} as const;

/** The EIP-712 domain: the protocol id and the chain, so a signature is valid nowhere else. */
export function blobRequestDomain(chainId: number) {
  return { name: BLOB_PROTOCOL, version: '1', chainId } as const;
}

/** What `signBlobRequest` needs of an account (any viem LocalAccount fits). */
export type BlobRequestSigner = Pick<LocalAccount, 'address' | 'signTypedData'>;

/** Parameters of `signBlobRequest`. */
export type SignBlobRequestParameters = {
  digest: Hex;
  chainId: number;
  purpose: BlobPurpose;
  context: string;
  /** Seconds the request stays valid; default 60, at most 600. */
  validForSeconds?: number;
  /** The chain's current time in unix seconds (the node reads it with `chainNow`); never the local clock. */
  chainTime: number;
};

/** Builds a fresh request (random nonce) and signs it with EIP-712. */
export async function signBlobRequest(
  signer: BlobRequestSigner,
  params: SignBlobRequestParameters,
): Promise<SignedBlobRequest> {
  const request = newBlobRequest(signer.address, params);
  const signature = await signer.signTypedData({
    domain: blobRequestDomain(request.chainId),
    types: BLOB_REQUEST_TYPES,
    primaryType: 'BlobRequest',
    message: blobRequestMessage(request),
  });
  return { ...request, signature };
}

/**
 * An unsigned request of `requester` with a random nonce, valid from the
 * given chain time; throws `BlobRequestInvalidError` on bad parameters.
 */
export function newBlobRequest(requester: Address, params: SignBlobRequestParameters): BlobRequest {
  const validFor = params.validForSeconds ?? DEFAULT_REQUEST_VALIDITY_SECONDS;
  if (!Number.isSafeInteger(validFor) || validFor < 1 || validFor > MAX_REQUEST_VALIDITY_SECONDS) {
    throw new BlobRequestInvalidError(`validForSeconds must be 1..${MAX_REQUEST_VALIDITY_SECONDS}.`);
  }
  const nonceBytes = crypto.getRandomValues(new Uint8Array(32));
  const request: BlobRequest = {
    digest: params.digest,
    requester,
    chainId: params.chainId,
    nonce: `0x${Buffer.from(nonceBytes).toString('hex')}`,
    expiresAt: params.chainTime + validFor,
    purpose: params.purpose,
    context: params.context,
  };
  const problem = requestProblem(request);
  if (problem) throw new BlobRequestInvalidError(`Cannot sign this blob request: ${problem}.`);
  return request;
}

/** Whether `signature` over `request` was made by `request.requester` for `request.chainId`. */
export async function isBlobRequestSignedByRequester(request: SignedBlobRequest): Promise<boolean> {
  try {
    return await verifyTypedData({
      address: request.requester,
      domain: blobRequestDomain(request.chainId),
      types: BLOB_REQUEST_TYPES,
      primaryType: 'BlobRequest',
      message: blobRequestMessage(request),
      signature: request.signature,
    });
  } catch {
    return false;
  }
}

const KEYS = ['digest', 'requester', 'chainId', 'nonce', 'expiresAt', 'purpose', 'context', 'signature'];
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/**
 * Validates an untrusted parsed JSON value as a signed request: exactly the
 * expected keys with well-formed values. Returns the normalised request, or
 * the reason it is malformed.
 */
export function parseSignedBlobRequest(value: unknown): SignedBlobRequest | string {
  return parseSignedRequestFields(value, []);
}

/**
 * The signed blob-request fields of an untrusted parsed JSON value that may
 * also carry `extraKeys` (left for the caller to check; requests of other
 * protocols extend the blob request). Returns them normalised, or the reason
 * they are malformed.
 */
export function parseSignedRequestFields(
  value: unknown,
  extraKeys: readonly string[],
): SignedBlobRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const keys = Object.keys(value);
  const extra = keys.find((k) => !KEYS.includes(k) && !extraKeys.includes(k));
  if (extra !== undefined) return `unknown field ${JSON.stringify(extra.slice(0, 40))}`;
  const v = value as Record<string, unknown>;
  if (typeof v.signature !== 'string' || !SIGNATURE.test(v.signature))
    return 'signature is not 65 bytes of hex';
  if (typeof v.requester !== 'string' || !isAddress(v.requester, { strict: false })) {
    return 'requester is not an address';
  }
  // Hex fields in lower case: EIP-712 signs a bytes32 the same in either case, so a nonce re-cased
  // by a replayer must still hit the replay cache.
  const request = {
    digest: typeof v.digest === 'string' ? v.digest.toLowerCase() : v.digest,
    requester: getAddress(v.requester),
    chainId: v.chainId,
    nonce: typeof v.nonce === 'string' ? v.nonce.toLowerCase() : v.nonce,
    expiresAt: v.expiresAt,
    purpose: v.purpose,
    context: v.context,
  } as BlobRequest;
  const problem = requestProblem(request);
  return problem ?? { ...request, signature: v.signature as Hex };
}

function requestProblem(r: BlobRequest): string | undefined {
  if (!isBytes32(r.digest)) return 'digest is not 32 bytes of hex';
  if (!isBytes32(r.nonce)) return 'nonce is not 32 bytes of hex';
  if (!Number.isSafeInteger(r.chainId) || r.chainId <= 0) return 'chainId is not a positive integer';
  if (!Number.isSafeInteger(r.expiresAt) || r.expiresAt <= 0) return 'expiresAt is not a positive integer';
  if (!BLOB_PURPOSES.includes(r.purpose)) return `purpose is not one of ${BLOB_PURPOSES.join(', ')}`;
  if (typeof r.context !== 'string' || r.context.length > MAX_CONTEXT_LENGTH) {
    return `context is not a string of at most ${MAX_CONTEXT_LENGTH} characters`;
  }
  return undefined;
}

/** The EIP-712 message of a request (its integers as bigints). */
export function blobRequestMessage(r: BlobRequest) {
  return {
    digest: r.digest,
    requester: r.requester,
    chainId: BigInt(r.chainId),
    nonce: r.nonce,
    expiresAt: BigInt(r.expiresAt),
    purpose: r.purpose,
    context: r.context,
  };
}

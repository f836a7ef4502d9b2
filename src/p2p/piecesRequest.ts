import type { Hex } from 'viem';
import { verifyTypedData } from 'viem';
import {
  BLOB_REQUEST_TYPES,
  type BlobRequest,
  type BlobRequestSigner,
  blobRequestMessage,
  newBlobRequest,
  parseSignedRequestFields,
  type SignBlobRequestParameters,
} from './blobRequest.ts';
import { PIECES_PROTOCOL } from './constants.ts';
import { BlobRequestInvalidError } from './errors.ts';

/**
 * A request for the leaves [start, end) of a model version's pieces: a blob
 * request for the model digest (purpose `host`, context
 * `<modelId>:<versionIndex>`) with the range, all of it signed, so a
 * signature never fetches another range.
 */
export type PiecesRequest = BlobRequest & { start: number; end: number };

/** A pieces request with its EIP-712 signature. */
export type SignedPiecesRequest = PiecesRequest & { signature: Hex };

/**
 * The EIP-712 types of a pieces request: the blob request's fields, then the
 * range. Its own primary type and domain, so blob and pieces signatures are
 * never valid for each other.
 */
export const PIECES_REQUEST_TYPES = {
  PiecesRequest: [
    ...BLOB_REQUEST_TYPES.BlobRequest,
    { name: 'start', type: 'uint64' },
    { name: 'end', type: 'uint64' },
  ],
} as const;

/** The EIP-712 domain: the pieces protocol id and the chain. */
export function piecesRequestDomain(chainId: number) {
  return { name: PIECES_PROTOCOL, version: '1', chainId } as const;
}

/** Parameters of `signPiecesRequest`: a blob request's, plus the leaf range [start, end). */
export type SignPiecesRequestParameters = SignBlobRequestParameters & { start: number; end: number };

/** Builds a fresh pieces request (random nonce) and signs it with EIP-712. */
export async function signPiecesRequest(
  signer: BlobRequestSigner,
  params: SignPiecesRequestParameters,
): Promise<SignedPiecesRequest> {
  const problem = rangeProblem(params.start, params.end);
  if (problem) throw new BlobRequestInvalidError(`Cannot sign this pieces request: ${problem}.`);
  const request: PiecesRequest = {
    ...newBlobRequest(signer.address, params),
    start: params.start,
    end: params.end,
  };
  const signature = await signer.signTypedData({
    domain: piecesRequestDomain(request.chainId),
    types: PIECES_REQUEST_TYPES,
    primaryType: 'PiecesRequest',
    message: piecesRequestMessage(request),
  });
  return { ...request, signature };
}

/** Whether `signature` over `request` (range included) was made by `request.requester` for `request.chainId`. */
export async function isPiecesRequestSignedByRequester(request: SignedPiecesRequest): Promise<boolean> {
  try {
    return await verifyTypedData({
      address: request.requester,
      domain: piecesRequestDomain(request.chainId),
      types: PIECES_REQUEST_TYPES,
      primaryType: 'PiecesRequest',
      message: piecesRequestMessage(request),
      signature: request.signature,
    });
  } catch {
    return false;
  }
}

/** Validates an untrusted parsed JSON value as a signed pieces request; returns it, or why it is malformed. */
export function parseSignedPiecesRequest(value: unknown): SignedPiecesRequest | string {
  const request = parseSignedRequestFields(value, ['start', 'end']);
  if (typeof request === 'string') return request;
  const { start, end } = value as Record<string, unknown>;
  const problem = rangeProblem(start, end);
  return problem ?? { ...request, start: start as number, end: end as number };
}

/** Why [start, end) is not a non-empty range of leaf indices; undefined when it is one. */
function rangeProblem(start: unknown, end: unknown): string | undefined {
  if (!Number.isSafeInteger(start) || (start as number) < 0) return 'start is not a non-negative integer';
  if (!Number.isSafeInteger(end) || (end as number) <= (start as number)) {
    return 'end is not an integer above start';
  }
  return undefined;
}

function piecesRequestMessage(r: PiecesRequest) {
  return { ...blobRequestMessage(r), start: BigInt(r.start), end: BigInt(r.end) };
}

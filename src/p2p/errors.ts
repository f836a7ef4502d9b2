import { BaseError } from '../core/errors.ts';

/** The peer key file is readable by other users. */
export class PeerKeyPermissionsError extends BaseError {
  override name = 'PeerKeyPermissionsError';
}

/** The peer key file exists but does not hold an Ed25519 key. */
export class PeerKeyInvalidError extends BaseError {
  override name = 'PeerKeyInvalidError';
}

/** `createHost` was given neither a data directory nor a private key. */
export class HostConfigError extends BaseError {
  override name = 'HostConfigError';
}

/** A frame announced a length above the limit (nothing of it was read). */
export class FrameTooLargeError extends BaseError {
  override name = 'FrameTooLargeError';
}

/** The stream ended in the middle of a frame. */
export class FrameTruncatedError extends BaseError {
  override name = 'FrameTruncatedError';
}

/** A blob request could not be built: bad digest, purpose, context or validity. */
export class BlobRequestInvalidError extends BaseError {
  override name = 'BlobRequestInvalidError';
}

/** The server refused: the requester has no right to this blob (`UNAUTHORIZED`). */
export class BlobFetchUnauthorizedError extends BaseError {
  override name = 'BlobFetchUnauthorizedError';
}

/** The server does not have the blob (`NOT_FOUND`). */
export class BlobFetchNotFoundError extends BaseError {
  override name = 'BlobFetchNotFoundError';
}

/** The server refused an expired request, or one signed for too long (`EXPIRED`). */
export class BlobFetchExpiredError extends BaseError {
  override name = 'BlobFetchExpiredError';
}

/** The server has already seen this request's nonce (`REPLAYED`). */
export class BlobFetchReplayedError extends BaseError {
  override name = 'BlobFetchReplayedError';
}

/** The request's signature is not the requester's, or is for another chain (`BAD_SIGNATURE`). */
export class BlobFetchBadSignatureError extends BaseError {
  override name = 'BlobFetchBadSignatureError';
}

/** The request frame exceeded the server's size limit (`TOO_LARGE`). */
export class BlobFetchRequestTooLargeError extends BaseError {
  override name = 'BlobFetchRequestTooLargeError';
}

/** The server could not parse the request (`MALFORMED`). */
export class BlobFetchMalformedError extends BaseError {
  override name = 'BlobFetchMalformedError';
}

/** The server is remembering too many nonces to accept another request now (`BUSY`). */
export class BlobFetchBusyError extends BaseError {
  override name = 'BlobFetchBusyError';
}

/** The server could not check rights or open the blob just now, e.g. its chain RPC failed (`UNAVAILABLE`). */
export class BlobFetchUnavailableError extends BaseError {
  override name = 'BlobFetchUnavailableError';
}

/** A blob request took longer than the server allows; the server aborted its stream. */
export class BlobServeTimeoutError extends BaseError {
  override name = 'BlobServeTimeoutError';
}

/** The blob announced by the server exceeds the client's limit. */
export class BlobFetchSizeLimitError extends BaseError {
  override name = 'BlobFetchSizeLimitError';
}

/** The received bytes do not hash to the requested digest. */
export class BlobDigestMismatchError extends BaseError {
  override name = 'BlobDigestMismatchError';
}

/** The server broke the protocol: bad header, unknown code, wrong byte count, or a reset stream. */
export class BlobFetchProtocolError extends BaseError {
  override name = 'BlobFetchProtocolError';
}

/** The fetch did not finish within its timeout. */
export class BlobFetchTimeoutError extends BaseError {
  override name = 'BlobFetchTimeoutError';
}

/** The caller aborted the fetch through its AbortSignal. */
export class BlobFetchAbortedError extends BaseError {
  override name = 'BlobFetchAbortedError';
}

/** A gossip message failed validation (size, JSON, or schema). */
export class GossipMessageInvalidError extends BaseError {
  override name = 'GossipMessageInvalidError';
}

/** The server refused a leaf range beyond the model's leaves (`BAD_RANGE`). */
export class PiecesRangeInvalidError extends BaseError {
  override name = 'PiecesRangeInvalidError';
}

/** The server refused a leaf range whose payload exceeds its per-request limit (`RANGE_TOO_LARGE`). */
export class PiecesRangeTooLargeError extends BaseError {
  override name = 'PiecesRangeTooLargeError';
}

/** The range announced by the server exceeds the client's byte limit. */
export class PiecesFetchSizeLimitError extends BaseError {
  override name = 'PiecesFetchSizeLimitError';
}

/** The server's opening (pieces root, file digest) does not hash to the requested model digest. */
export class PiecesOpeningMismatchError extends BaseError {
  override name = 'PiecesOpeningMismatchError';
}

/** The received payloads and range proof do not verify against the opening's pieces root. */
export class PiecesMismatchError extends BaseError {
  override name = 'PiecesMismatchError';
}

/** The pieces server broke the protocol: bad header, wrong range or frame count, extra bytes, a reset stream. */
export class PiecesFetchProtocolError extends BaseError {
  override name = 'PiecesFetchProtocolError';
}

/** A pieces request took longer than the server allows; the server aborted its stream. */
export class PiecesServeTimeoutError extends BaseError {
  override name = 'PiecesServeTimeoutError';
}

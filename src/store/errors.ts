import { BaseError } from '../core/errors.ts';

/** The database was written by a newer Concord than this one (its schema version is unknown). */
export class StoreSchemaTooNewError extends BaseError {
  override name = 'StoreSchemaTooNewError';
}

/** A task id, digest, salt or transaction hash handed to the journal has the wrong format. */
export class JournalValueError extends BaseError {
  override name = 'JournalValueError';
}

/** The journal has no record of the task. */
export class JournalTaskNotFoundError extends BaseError {
  override name = 'JournalTaskNotFoundError';
}

/** A task was recorded as computed twice with a different result digest or salt. */
export class JournalConflictError extends BaseError {
  override name = 'JournalConflictError';
}

/** The task state machine does not allow this transition. */
export class TaskTransitionError extends BaseError {
  override name = 'TaskTransitionError';
}

/** A blob digest is not `0x` followed by 64 lowercase hex digits. */
export class BlobDigestFormatError extends BaseError {
  override name = 'BlobDigestFormatError';
}

/** A blob is larger than the store's size limit. */
export class BlobSizeLimitError extends BaseError {
  override name = 'BlobSizeLimitError';
}

/** The store has no blob with this digest. */
export class BlobNotStoredError extends BaseError {
  override name = 'BlobNotStoredError';
}

/** A stored blob's bytes no longer hash to its digest (disk corruption or tampering). */
export class BlobCorruptError extends BaseError {
  override name = 'BlobCorruptError';
}

/** Bytes streamed into a blob writer do not hash to the digest the caller expected. */
export class BlobWriteMismatchError extends BaseError {
  override name = 'BlobWriteMismatchError';
}

/** Bytes stored as a model version (`putModel`) are not a checkpoint whose pieces can be opened. */
export class BlobNotCheckpointError extends BaseError {
  override name = 'BlobNotCheckpointError';
  override readonly status = 400;
}

/** A blob writer was used after it was committed or aborted. */
export class BlobWriterClosedError extends BaseError {
  override name = 'BlobWriterClosedError';
}

/** A known-peer record is malformed (empty peer id or bad multiaddr list). */
export class PeerRecordError extends BaseError {
  override name = 'PeerRecordError';
}

/**
 * The disk holding the store is full (ENOSPC, EDQUOT or SQLITE_FULL), or has
 * less room than a blob needs. Nothing was written; retry once space is freed.
 */
export class DiskFullError extends BaseError {
  override name = 'DiskFullError';
  override readonly status = 507;
}

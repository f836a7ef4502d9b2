import { BaseError } from '../core/errors.ts';

/** The State of the Union corpus package returned something other than the speeches expected. */
export class SotuCorpusError extends BaseError {
  override name = 'SotuCorpusError';
}

/** A corpus split or shard request does not fit the data (too many shards, empty split). */
export class CorpusShardError extends BaseError {
  override name = 'CorpusShardError';
}

/** An n-gram model was asked for an order or smoothing it does not support, or evaluated before training. */
export class NgramModelError extends BaseError {
  override name = 'NgramModelError';
}

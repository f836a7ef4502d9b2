import { BaseError } from '../core/errors.ts';

/** A task spec is malformed: wrong type, missing or unknown field, bad digest, wrong kernel. */
export class TaskSpecError extends BaseError {
  override name = 'TaskSpecError';
  override readonly status = 400;
}

/** No task kind with this name or on-chain kind id is registered on this node. */
export class UnknownTaskKindError extends BaseError {
  override name = 'UnknownTaskKindError';
  override readonly status = 400;
}

/** A second task kind with an already registered name was registered. */
export class DuplicateTaskKindError extends BaseError {
  override name = 'DuplicateTaskKindError';
}

/** A task's input blob decoded, but its dtype or content does not fit the kind. */
export class TaskInputError extends BaseError {
  override name = 'TaskInputError';
  override readonly status = 400;
}

/** A task run was cancelled through its AbortSignal. */
export class TaskAbortedError extends BaseError {
  override name = 'TaskAbortedError';
}

import { BaseError } from './errors.ts';

/**
 * Errors raised while deciding a vote: the exact stake-weighted majority
 * (`decideMajority`) and the tolerant majority (`decideTolerant`).
 */

/** The same participant voted twice; every participant has exactly one vote. */
export class VoteDuplicateParticipantError extends BaseError {
  override name = 'VoteDuplicateParticipantError';
  constructor(participant: string) {
    super(`Participant ${participant} appears more than once in the votes.`, {
      hint: 'Pass one vote per participant (addresses are compared case-insensitively).',
    });
  }
}

/** A participant field is not a 20-byte hex address. */
export class VoteInvalidParticipantError extends BaseError {
  override name = 'VoteInvalidParticipantError';
  constructor(participant: string) {
    super(`Participant "${participant}" is not an address.`, {
      hint: 'Use a 0x-prefixed 20-byte hex address.',
    });
  }
}

/** A revealed digest is not a 32-byte hex value. */
export class VoteInvalidDigestError extends BaseError {
  override name = 'VoteInvalidDigestError';
  constructor(digest: string) {
    super(`Digest "${digest}" is not a 32-byte hex value.`, {
      hint: 'Reveal the result digest as 0x followed by 64 hex characters.',
    });
  }
}

/** A stake is negative (stakes are token amounts, zero or more). */
export class VoteInvalidStakeError extends BaseError {
  override name = 'VoteInvalidStakeError';
  constructor(participant: string, stake: bigint) {
    super(`Participant ${participant} has a negative stake (${stake}).`, {
      hint: 'Stakes are token amounts and must be zero or more.',
    });
  }
}

/** The quorum is not a positive integer. */
export class VoteInvalidQuorumError extends BaseError {
  override name = 'VoteInvalidQuorumError';
  constructor(quorum: number) {
    super(`Quorum ${quorum} is not a positive integer.`, {
      hint: 'Set the quorum to the minimum number of distinct revealers, at least 1.',
    });
  }
}

/** The tolerance of a tolerant vote is negative, NaN or infinite. */
export class VoteInvalidEpsilonError extends BaseError {
  override name = 'VoteInvalidEpsilonError';
  constructor(epsilon: number) {
    super(`Tolerance ${epsilon} is not a finite number >= 0.`, {
      hint: 'Pass the largest accepted per-element difference, e.g. 1e-5.',
    });
  }
}

/** A tolerant vote was asked to decide among zero votes. */
export class VoteEmptyError extends BaseError {
  override name = 'VoteEmptyError';
  constructor() {
    super('There are no votes to decide among.', {
      hint: 'Collect at least one vote before deciding; with none the step has no result.',
    });
  }
}

/** Voted vectors do not all have the same length. */
export class VoteLengthMismatchError extends BaseError {
  override name = 'VoteLengthMismatchError';
  constructor(participant: string, length: number, expected: number) {
    super(`The vector of ${participant} has ${length} elements, expected ${expected}.`, {
      hint: 'Every vote on one step must be a vector of the same length.',
    });
  }
}

/** A voted vector holds NaN or an infinity. */
export class VoteNonFiniteError extends BaseError {
  override name = 'VoteNonFiniteError';
  constructor(participant: string, index: number) {
    super(`The vector of ${participant} holds a non-finite value at index ${index}.`, {
      hint: 'NaN and Inf are rejected at every boundary; treat this vote as invalid.',
    });
  }
}

import { BaseError } from './errors.ts';

/**
 * Errors raised when computing rewards, escrow and settlement previews.
 */

/** A reward or settlement parameter is out of its allowed range. */
export class RewardInvalidParameterError extends BaseError {
  override name = 'RewardInvalidParameterError';
  constructor(parameter: string, value: bigint | number, expected: string) {
    super(`Parameter ${parameter} = ${value} is invalid: expected ${expected}.`, {
      hint: 'Token amounts and basis points are non-negative integers below 2^256; counts are integers >= 1.',
    });
  }
}

/** A reward computation leaves the uint256 range, where the Solidity contract would revert. */
export class RewardOverflowError extends BaseError {
  override name = 'RewardOverflowError';
  constructor(what: string) {
    super(`${what} exceeds 2^256 - 1, so the on-chain computation would revert.`, {
      hint: 'Lower baseReward, growthBps or maxParticipants.',
    });
  }
}

/** More participants committed than the task allows, so its escrow cannot cover the rewards. */
export class SettlementTooManyCommittersError extends BaseError {
  override name = 'SettlementTooManyCommittersError';
  constructor(committers: number, maxParticipants: number) {
    super(`${committers} participants committed but the task allows at most ${maxParticipants}.`, {
      hint: 'Pass only the task committee that actually committed; the contract never admits more.',
    });
  }
}

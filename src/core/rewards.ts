import { RewardInvalidParameterError, RewardOverflowError } from './rewardErrors.ts';

/** 10000 basis points = 100%. */
export const BPS_DENOMINATOR = 10_000n;

/** 2^256 - 1, the largest uint256; on chain every intermediate value must stay at or below it. */
export const UINT256_MAX = (1n << 256n) - 1n;

/**
 * The reward of each winning participant when `n` participants revealed:
 * `baseReward * (10000 + growthBps * (n - 1)) / 10000`, in integer token
 * units, rounded down (the integer division floors, exactly as Solidity's
 * `/` on uint256). This single formula is shared with `TaskMarket.reward`.
 *
 * Throws `RewardInvalidParameterError` for a negative/non-integer input or
 * `n < 1`, and `RewardOverflowError` where the contract's checked arithmetic
 * would revert (an intermediate value above 2^256 - 1).
 */
export function reward(baseReward: bigint, growthBps: bigint | number, n: number): bigint {
  assertUint256('baseReward', baseReward);
  const growth = toUint256('growthBps', growthBps);
  if (!Number.isSafeInteger(n) || n < 1) throw new RewardInvalidParameterError('n', n, 'an integer >= 1');
  const factor = BPS_DENOMINATOR + growth * BigInt(n - 1);
  if (factor > UINT256_MAX) throw new RewardOverflowError('10000 + growthBps * (n - 1)');
  const product = baseReward * factor;
  if (product > UINT256_MAX) throw new RewardOverflowError('baseReward * (10000 + growthBps * (n - 1))');
  return product / BPS_DENOMINATOR;
}

/**
 * The escrow a task creator deposits (`TaskMarket.escrowOf`):
 * `E = maxParticipants * reward(maxParticipants)`, enough to pay every winner
 * whatever the number of revealers because `reward(n)` never decreases with
 * `n`, plus the protocol fee on it, `protocolFee(E, feeBps)`.
 */
export function escrowFor(
  baseReward: bigint,
  growthBps: bigint | number,
  maxParticipants: number,
  feeBps: bigint | number = 0,
): bigint {
  const maxPaid = BigInt(maxParticipants) * reward(baseReward, growthBps, maxParticipants);
  if (maxPaid > UINT256_MAX) throw new RewardOverflowError('maxParticipants * reward(maxParticipants)');
  return maxPaid + protocolFee(maxPaid, feeBps);
}

/** The protocol fee on `paid` rewards: `floor(paid * feeBps / 10000)` (TaskMarket's `Limits.feeBps`). */
export function protocolFee(paid: bigint, feeBps: bigint | number): bigint {
  return (paid * toUint256('feeBps', feeBps)) / BPS_DENOMINATOR;
}

/** Throws `RewardInvalidParameterError` unless `value` is a uint256. */
export function assertUint256(parameter: string, value: bigint): void {
  if (value < 0n || value > UINT256_MAX) {
    throw new RewardInvalidParameterError(parameter, value, 'an integer in [0, 2^256)');
  }
}

function toUint256(parameter: string, value: bigint | number): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RewardInvalidParameterError(parameter, value, 'an integer in [0, 2^256)');
  }
  const big = BigInt(value);
  assertUint256(parameter, big);
  return big;
}

import { type Address, encodeAbiParameters, type Hex, isAddress, keccak256 } from 'viem';
import { assertBytes32 } from './bytes32.ts';
import { CommitmentParticipantError, CommitmentTaskIdError } from './digestErrors.ts';

/**
 * The commit-reveal commitment of a task result, defined identically in
 * Solidity (`TaskMarket`):
 *
 * ```
 * keccak256(abi.encode(uint256 taskId, bytes32 resultDigest, bytes32 salt, address participant))
 * ```
 *
 * The salt hides the digest until the reveal; binding the task id and the
 * participant stops a commitment from being replayed on another task or
 * copied by another node.
 */

/** The fields a commitment binds. */
export type CommitmentParameters = {
  /** The on-chain task id (uint256). */
  taskId: bigint;
  /** The sha2-256 digest of the result blob (`digestBytes`). */
  resultDigest: Hex;
  /** 32 secret random bytes (`randomSalt`), revealed with the digest. */
  salt: Hex;
  /** The committing node's account. */
  participant: Address;
};

const MAX_UINT256 = 2n ** 256n - 1n;

const COMMITMENT_ABI = [
  { type: 'uint256', name: 'taskId' },
  { type: 'bytes32', name: 'resultDigest' },
  { type: 'bytes32', name: 'salt' },
  { type: 'address', name: 'participant' },
] as const;

/**
 * Returns the commitment hash (0x-prefixed lower-case hex). Throws
 * `CommitmentTaskIdError`, `InvalidBytes32Error` or `CommitmentParticipantError`
 * for an input Solidity would not accept.
 */
export function commitment(params: CommitmentParameters): Hex {
  const { taskId, resultDigest, salt, participant } = params;
  if (typeof taskId !== 'bigint' || taskId < 0n || taskId > MAX_UINT256)
    throw new CommitmentTaskIdError(taskId);
  assertBytes32(resultDigest, 'resultDigest');
  assertBytes32(salt, 'salt');
  if (typeof participant !== 'string' || !isAddress(participant))
    throw new CommitmentParticipantError(participant);
  return keccak256(encodeAbiParameters(COMMITMENT_ABI, [taskId, resultDigest, salt, participant]));
}

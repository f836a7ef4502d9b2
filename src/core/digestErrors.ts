import { BaseError } from './errors.ts';

/**
 * Errors of digests, content ids and commitments (`digest.ts`, `bytes32.ts`,
 * `commitment.ts`).
 */

/** A value that must be 32 bytes of hex (a digest, a salt) is not. */
export class InvalidBytes32Error extends BaseError {
  override name = 'InvalidBytes32Error';
  constructor(field: string, value: unknown) {
    super(`${field} must be 0x followed by 64 hex characters, got ${describe(value)}.`, {
      hint: 'Pass a 32-byte value such as a sha2-256 digest or a salt from randomSalt().',
    });
  }
}

/** A string is not a parseable CID. */
export class InvalidCidError extends BaseError {
  override name = 'InvalidCidError';
  constructor(cid: string, cause: unknown) {
    super(`${describe(cid)} is not a valid CID.`, {
      hint: 'Pass a CID string such as "bafkrei..." as made by blobCid().',
      cause,
    });
  }
}

/** A CID is valid but does not name a Concord blob (CIDv1, raw codec, sha2-256). */
export class UnsupportedCidError extends BaseError {
  override name = 'UnsupportedCidError';
  constructor(cid: string, problem: string) {
    super(`CID ${describe(cid)} is not a Concord blob id: ${problem}.`, {
      hint: 'Concord names blobs by CIDv1 with the raw codec (0x55) and a sha2-256 multihash (0x12).',
    });
  }
}

/** A task id is not an integer in the uint256 range. */
export class CommitmentTaskIdError extends BaseError {
  override name = 'CommitmentTaskIdError';
  constructor(taskId: unknown) {
    super(`Task id ${describe(taskId)} is not a bigint in [0, 2^256 - 1].`, {
      hint: 'Pass the on-chain task id as a bigint, e.g. 42n.',
    });
  }
}

/** A participant is not a valid EVM address. */
export class CommitmentParticipantError extends BaseError {
  override name = 'CommitmentParticipantError';
  constructor(participant: unknown) {
    super(`Participant ${describe(participant)} is not a valid address.`, {
      hint: 'Pass a 0x-prefixed 20-byte address, all lower case or with a correct EIP-55 checksum.',
    });
  }
}

/** Shows a value briefly in a message (long strings are cut). */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

import { type Address, isAddress } from 'viem';
import { VoteDuplicateParticipantError, VoteInvalidParticipantError } from './consensusErrors.ts';

/**
 * Checks that every entry names a valid address and that no address appears
 * twice (compared case-insensitively). Throws `VoteInvalidParticipantError`
 * or `VoteDuplicateParticipantError`.
 */
export function assertDistinctParticipants(entries: readonly { participant: Address }[]): void {
  const seen = new Set<string>();
  for (const { participant } of entries) {
    if (!isAddress(participant, { strict: false })) throw new VoteInvalidParticipantError(participant);
    const key = participant.toLowerCase();
    if (seen.has(key)) throw new VoteDuplicateParticipantError(participant);
    seen.add(key);
  }
}

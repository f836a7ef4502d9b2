import { type PublicClient, parseEther } from 'viem';
import { type TaskParams, taskKindId } from '../../src/chain/taskTypes.ts';

/**
 * The task both ledger benchmarks create: a matvec task with 3 committee
 * members out of 4 possible participants, quorum 2, deadlines an hour apart
 * from the chain's current time.
 */
export async function benchTaskParams(publicClient: PublicClient, specLabel: string): Promise<TaskParams> {
  const now = (await publicClient.getBlock()).timestamp;
  return {
    kind: taskKindId('matvec'),
    specDigest: taskKindId(specLabel),
    baseReward: parseEther('10'),
    bond: parseEther('1'),
    stakeSlash: parseEther('5'),
    growthBps: 1000,
    maxParticipants: 4,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 3600n,
    revealDeadline: now + 7200n,
  };
}

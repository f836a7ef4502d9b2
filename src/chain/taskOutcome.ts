import { type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';

/**
 * How a task settled: a winner backed by a stake majority, or failure (escrow and revealers' bonds
 * returned; `forfeits`, the bonds and slashed stake of committers that never revealed, shared by the revealers).
 */
export type TaskOutcome =
  | {
      taskId: bigint;
      status: 'finalized';
      winner: Hex;
      revealers: bigint;
      winners: bigint;
      reward: bigint;
      pot: bigint;
    }
  | { taskId: bigint; status: 'failed'; revealers: bigint; forfeits: bigint };

/** The settlements recorded in a receipt's TaskFinalized/TaskFailed events, in log order. */
export function taskOutcomes(receipt: TransactionReceipt): TaskOutcome[] {
  const events = parseEventLogs({
    abi: taskMarketAbi,
    logs: receipt.logs,
    eventName: ['TaskFinalized', 'TaskFailed'],
  });
  return events.map(
    (e): TaskOutcome =>
      e.eventName === 'TaskFinalized'
        ? { status: 'finalized', ...e.args }
        : {
            status: 'failed',
            taskId: e.args.taskId,
            revealers: e.args.revealers,
            forfeits: e.args.forfeits,
          },
  );
}

import { type ParseEventLogsReturnType, parseEventLogs } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** One decoded TaskMarket event (TaskCreated, Committed, TaskFinalized, ...) with its block and log index. */
export type TaskMarketEvent = ParseEventLogsReturnType<typeof taskMarketAbi>[number];

/** Parameters of {@link watchTasks}. */
export type WatchTasksParameters = {
  /** First block to read; resume from a saved `nextBlock()` after a restart. Default: the next block. */
  fromBlock?: bigint;
  /** Milliseconds between polls (default: the context's polling interval). */
  pollingInterval?: number;
  /** Most blocks per `eth_getLogs` request (default 2000; public RPCs cap the range). */
  maxBlockRange?: bigint;
  /** Receives each batch of events in chain order; `toBlock` is the last block covered. Awaited before the next poll. */
  onEvents: (events: TaskMarketEvent[], toBlock: bigint) => void | Promise<void>;
  /** Called when a poll fails; polling continues from the same block. */
  onError?: (error: unknown) => void;
};
/**
 * Stops the watcher; `nextBlock()` is the first block not delivered yet once
 * `onEvents` has returned (inside `onEvents`, persist `toBlock + 1` to resume).
 */
export type WatchTasksReturnType = { stop: () => void; nextBlock: () => bigint };

/**
 * Delivers TaskMarket events by polling `eth_getLogs` over block ranges, so
 * it works on any JSON-RPC node (no filters or websockets) and resumes
 * exactly where it stopped. A failed poll is retried from the same block.
 */
export function watchTasks(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'pollingInterval'>,
  params: WatchTasksParameters,
): WatchTasksReturnType {
  const interval = params.pollingInterval ?? ctx.pollingInterval;
  const range = params.maxBlockRange ?? 2000n;
  let next = params.fromBlock;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async () => {
    const latest = await ctx.publicClient.getBlockNumber({ cacheTime: 0 });
    let fromBlock = next ?? latest + 1n;
    next = fromBlock;
    while (!stopped && fromBlock <= latest) {
      const toBlock: bigint = fromBlock + range - 1n < latest ? fromBlock + range - 1n : latest;
      const logs = await ctx.publicClient.getLogs({ address: ctx.addresses.taskMarket, fromBlock, toBlock });
      const events = parseEventLogs({ abi: taskMarketAbi, logs });
      if (events.length > 0) await params.onEvents(events, toBlock);
      next = fromBlock = toBlock + 1n;
    }
  };
  const loop = async () => {
    try {
      await poll();
    } catch (err) {
      params.onError?.(err);
    }
    if (!stopped) timer = setTimeout(loop, interval);
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    nextBlock: () => next ?? 0n,
  };
}

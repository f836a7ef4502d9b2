import { BlockNotFoundError, type Hash, type ParseEventLogsReturnType, parseEventLogs } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import type { BlockRef, WatchCursor } from '../watchCursor.ts';

/** One decoded TaskMarket event (TaskCreated, Committed, TaskFinalized, ...) with its block and log index. */
export type TaskMarketEvent = ParseEventLogsReturnType<typeof taskMarketAbi>[number];

/** A reorganization {@link watchTasks} found under the blocks it had delivered. */
export type ReorgReport = {
  /** Blocks dropped or replaced: from `fromBlock` to the last block delivered before the reorg. */
  depth: number;
  /** The first block re-scanned (the block after the common ancestor). */
  fromBlock: bigint;
  /** No remembered block is still on the chain: the reorg is deeper than the window, which is re-scanned whole. */
  beyondWindow: boolean;
};

/** Parameters of {@link watchTasks}. */
export type WatchTasksParameters = {
  /** First block to read when there is no `cursor`. Default: the next block. */
  fromBlock?: bigint;
  /** Where to resume after a restart: the `cursor` last passed to `onEvents` (takes precedence over `fromBlock`). */
  cursor?: WatchCursor | undefined;
  /** Milliseconds between polls (default: the context's polling interval). */
  pollingInterval?: number;
  /** Most blocks per `eth_getLogs` request (default 2000; public RPCs cap the range). */
  maxBlockRange?: bigint;
  /** How many delivered blocks to remember for finding a common ancestor (default 128). */
  window?: number;
  /**
   * Receives each batch of events in chain order; `toBlock` is the last block
   * covered and `cursor` the position to persist to resume after it. Awaited
   * before the next poll; if it throws, the batch is delivered again.
   */
  onEvents: (events: TaskMarketEvent[], toBlock: bigint, cursor: WatchCursor) => void | Promise<void>;
  /** Called once per reorganization found, before its blocks are re-scanned. */
  onReorg?: (reorg: ReorgReport) => void;
  /** Called when polls start failing, once per distinct failure (not per retry). */
  onError?: (error: unknown) => void;
};

/**
 * Stops the watcher; `nextBlock()` is the first block not delivered yet and
 * `cursor()` the blocks covered (oldest first) once `onEvents` has returned.
 */
export type WatchTasksReturnType = { stop: () => void; nextBlock: () => bigint; cursor: () => WatchCursor };

const DEFAULT_WINDOW = 128;
/** Longest wait between polls while they keep failing. */
const MAX_RETRY_DELAY_MS = 5000;

/**
 * Delivers TaskMarket events by polling `eth_getLogs` over block ranges, so
 * it works on any JSON-RPC node (no filters or websockets). It follows block
 * hashes, not just numbers: it remembers the last `window` blocks it covered,
 * and when the last of them is no longer on the chain (replaced, or the head
 * moved back below it) it finds the common ancestor among them, reports the
 * reorg to `onReorg` and re-scans from the block after it, so events that
 * appear only in a replacement block are delivered, and events re-included at
 * another height are delivered again with their new block. A range counts as
 * covered only if its last block is the same before and after the query and
 * the block before the range is still on the chain after it. Consumers must
 * therefore be idempotent (the worker just re-reads the task's state). A
 * failed poll is retried from the same block, waiting twice as long after each
 * failure (up to 5 s), and reported once per distinct failure.
 */
export function watchTasks(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'pollingInterval'>,
  params: WatchTasksParameters,
): WatchTasksReturnType {
  const client = ctx.publicClient;
  const interval = params.pollingInterval ?? ctx.pollingInterval;
  const range = params.maxBlockRange ?? 2000n;
  const size = params.window ?? DEFAULT_WINDOW;
  let recent: WatchCursor = (params.cursor ?? []).slice(-size);
  let next = recent.length > 0 ? recent.at(-1)!.number + 1n : params.fromBlock;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let reported: string | undefined;

  const hashAt = async (blockNumber: bigint): Promise<Hash | undefined> => {
    try {
      return (await client.getBlock({ blockNumber })).hash;
    } catch (err) {
      if (err instanceof BlockNotFoundError) return undefined;
      throw err;
    }
  };
  const onChain = async (block: BlockRef) => (await hashAt(block.number)) === block.hash;

  /** Cuts the window back to its last block still on the chain and re-scans from the block after it. */
  const rewind = async () => {
    const last = recent.at(-1)!;
    // The window is one branch, so the blocks still on the chain are a prefix of it.
    let lo = -1;
    let hi = recent.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (await onChain(recent[mid]!)) lo = mid;
      else hi = mid;
    }
    const ancestor = recent[lo];
    const fromBlock = ancestor ? ancestor.number + 1n : recent[0]!.number;
    recent = recent.slice(0, lo + 1);
    next = fromBlock;
    params.onReorg?.({ depth: Number(last.number - fromBlock + 1n), fromBlock, beyondWindow: !ancestor });
  };

  /** Covers one range or handles one reorg; true if there is more to do right away. */
  const step = async (): Promise<boolean> => {
    const head = await client.getBlock({ blockTag: 'latest' });
    const last = recent.at(-1);
    if (last && (head.number < last.number || (head.number === last.number && head.hash !== last.hash))) {
      await rewind();
      return true;
    }
    const fromBlock = next ?? head.number + 1n;
    next = fromBlock;
    if (fromBlock > head.number) return false;
    const toBlock = fromBlock + range - 1n < head.number ? fromBlock + range - 1n : head.number;
    const before = toBlock === head.number ? head.hash : await hashAt(toBlock);
    let logs: Awaited<ReturnType<typeof client.getLogs>>;
    try {
      logs = await client.getLogs({ address: ctx.addresses.taskMarket, fromBlock, toBlock });
    } catch (err) {
      // E.g. "block height is 513 but requested was 515": the head moved back during the query.
      if ((await hashAt(toBlock)) !== before) return false;
      throw err;
    }
    const after = await hashAt(toBlock);
    if (before === undefined || after !== before) return false; // replaced during the query: scan it again
    if (last && !(await onChain(last))) {
      await rewind();
      return true;
    }
    const events = parseEventLogs({ abi: taskMarketAbi, logs });
    const covered = extend(recent, events, { number: toBlock, hash: after }, size);
    if (events.length > 0) await params.onEvents(events, toBlock, covered);
    recent = covered;
    next = toBlock + 1n;
    return toBlock < head.number;
  };

  const loop = async () => {
    let delay = interval;
    try {
      while (!stopped && (await step()));
      failures = 0;
      reported = undefined;
    } catch (err) {
      failures++;
      delay = Math.max(interval, Math.min(interval * 2 ** failures, MAX_RETRY_DELAY_MS));
      const failure = describe(err);
      if (failure !== reported) params.onError?.(err);
      reported = failure;
    }
    if (!stopped) timer = setTimeout(loop, delay);
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    nextBlock: () => next ?? 0n,
    cursor: () => recent,
  };
}

/** The window after covering a range: the blocks of its events, then its last block, at most `size`. */
function extend(recent: WatchCursor, events: TaskMarketEvent[], last: BlockRef, size: number): WatchCursor {
  const blocks = [...recent];
  for (const e of events) {
    if (blocks.at(-1)?.number !== e.blockNumber) blocks.push({ number: e.blockNumber, hash: e.blockHash });
  }
  if (blocks.at(-1)?.number !== last.number) blocks.push(last);
  return blocks.slice(-size);
}

/** What makes two failures the same for reporting: the error's name and short message, without request details. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const short = (err as { shortMessage?: unknown }).shortMessage;
  return `${err.name}: ${typeof short === 'string' ? short : err.message}`;
}

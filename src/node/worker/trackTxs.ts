import { type Hex, TransactionNotFoundError, TransactionReceiptNotFoundError } from 'viem';
import type { ConcordContext } from '../../chain/context.ts';
import type { SentTxJournal } from '../../store/sentTxs.ts';

/**
 * Follows every sent or mined but unconfirmed transaction the node sent:
 * mined once a receipt appears, confirmed once its block is at
 * `confirmedBlock` or deeper, moved when a reorg put it into another block,
 * dropped when the chain no longer has it — neither a receipt nor a pending
 * transaction the endpoint knows (logged when it had been seen mined; the
 * sender reports one it never saw mined as TRANSACTION_DROPPED). A dropped transaction is not
 * sent again from here: the worker re-derives its next step from the chain,
 * which sends it again while its window is open. Returns the tasks whose
 * transactions were dropped or moved.
 */
export async function trackSentTxs(
  ctx: Pick<ConcordContext, 'publicClient'>,
  sentTxs: SentTxJournal,
  confirmedBlock: bigint,
  log: (line: string) => void,
): Promise<bigint[]> {
  const touched: bigint[] = [];
  for (const tx of sentTxs.unconfirmed()) {
    const receipt = await ctx.publicClient
      .getTransactionReceipt({ hash: tx.txHash })
      .catch((err: unknown) => {
        if (err instanceof TransactionReceiptNotFoundError) return undefined;
        throw err;
      });
    const what = `task ${tx.taskId}: ${tx.action} ${tx.txHash}`;
    if (!receipt) {
      if (await isPending(ctx, tx.txHash)) continue; // waiting in the pool (again, after a reorg)
      sentTxs.mark(tx.txHash, 'dropped', null);
      // One never seen mined is the sender's to report (TRANSACTION_DROPPED), not logged twice.
      if (tx.block !== null) log(`${what}: reorg: dropped from block ${tx.block}`);
      touched.push(tx.taskId);
    } else if (receipt.blockNumber <= confirmedBlock) {
      sentTxs.mark(tx.txHash, 'confirmed', receipt.blockNumber);
    } else if (tx.block === null) {
      sentTxs.mark(tx.txHash, 'mined', receipt.blockNumber);
    } else if (receipt.blockNumber !== tx.block) {
      sentTxs.mark(tx.txHash, 'mined', receipt.blockNumber);
      log(`${what}: reorg: moved from block ${tx.block} to ${receipt.blockNumber}`);
      touched.push(tx.taskId);
    }
  }
  return touched;
}

/** Whether the endpoint still holds `hash` as a pending transaction. */
async function isPending(ctx: Pick<ConcordContext, 'publicClient'>, hash: Hex): Promise<boolean> {
  return await ctx.publicClient.getTransaction({ hash }).then(
    () => true,
    (err: unknown) => {
      if (err instanceof TransactionNotFoundError) return false;
      throw err;
    },
  );
}

import type { Address, Hex } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { JournalTxNotFoundError } from '../errors.ts';

/** The journal states whose transaction is found from a TaskMarket event. */
export type TxEvent = 'Committed' | 'Revealed' | 'Claimed';

/**
 * Finds the hash of the transaction in which `account` committed, revealed
 * or claimed in `taskId`, for a journal that missed it (the node crashed
 * between sending and recording).
 */
export async function findParticipantTx(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses'>,
  params: { taskId: bigint; account: Address; event: TxEvent; fromBlock: bigint },
): Promise<Hex> {
  const logs = await ctx.publicClient.getContractEvents({
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    eventName: params.event,
    args: { taskId: params.taskId, account: params.account },
    fromBlock: params.fromBlock,
  });
  const hash = logs.at(-1)?.transactionHash;
  if (!hash) {
    throw new JournalTxNotFoundError(
      `No ${params.event} event of ${params.account} in task ${params.taskId}.`,
      {
        hint: 'The RPC node may prune logs; the journal keeps the task pending and retries.',
      },
    );
  }
  return hash;
}

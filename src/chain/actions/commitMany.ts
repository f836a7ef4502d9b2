import type { Hex, TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { commitmentOfSigner } from './commit.ts';
import { ensureAllowance } from './ensureAllowance.ts';
import { getTask } from './getTask.ts';

/** Parameters of {@link commitMany}. */
export type CommitManyParameters = TxOptions & {
  /** The results to commit to; keep digest and salt to reveal. */
  commits: readonly { taskId: bigint; resultDigest: Hex; salt: Hex }[];
  /** The sum of the tasks' bonds if known (saves a read per task). */
  totalBond?: bigint;
};
/** The receipt. */
export type CommitManyReturnType = TransactionReceipt;

/** Commits to several tasks in one transaction with one token transfer for all bonds (see {@link commit}). */
export async function commitMany(
  ctx: ConcordContext,
  params: CommitManyParameters,
): Promise<CommitManyReturnType> {
  const bonds =
    params.totalBond ??
    (await Promise.all(params.commits.map((c) => getTask(ctx, { taskId: c.taskId })))).reduce(
      (sum, t) => sum + t.params.bond,
      0n,
    );
  if (bonds > 0n) await ensureAllowance(ctx, { spender: ctx.addresses.taskMarket, amount: bonds });
  return await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    functionName: 'commitMany',
    args: [params.commits.map((c) => c.taskId), params.commits.map((c) => commitmentOfSigner(ctx, c))],
    ...txOptions(params),
  });
}

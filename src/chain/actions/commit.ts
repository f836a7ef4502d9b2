import type { Hex, TransactionReceipt } from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import { commitment } from '../../core/commitment.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract, type TxOptions, txOptions } from '../send.ts';
import { ensureAllowance } from './ensureAllowance.ts';
import { getTask } from './getTask.ts';

/** Parameters of {@link commit}. */
export type CommitParameters = TxOptions & {
  taskId: bigint;
  /** The task's bond if known (saves a read); otherwise read from the task. */
  bond?: bigint;
} & (
    | {
        /** The result's digest, kept secret until the reveal. */
        resultDigest: Hex;
        /** 32 random bytes; keep them (with the digest) to reveal. */
        salt: Hex;
      }
    | {
        /** Tests only: a commitment sent as is (a `--lazy` node replaying another member's). */
        commitment: Hex;
      }
  );
/** The receipt. */
export type CommitReturnType = TransactionReceipt;

/**
 * Commits to a result in a task — sends `commitment(taskId, resultDigest,
 * salt, signer)` (core/commitment.ts) — posting its bond (approving TaskMarket if needed).
 */
export async function commit(ctx: ConcordContext, params: CommitParameters): Promise<CommitReturnType> {
  const bond = params.bond ?? (await getTask(ctx, { taskId: params.taskId })).params.bond;
  if (bond > 0n) await ensureAllowance(ctx, { spender: ctx.addresses.taskMarket, amount: bond });
  return await sendContract(ctx, {
    address: ctx.addresses.taskMarket,
    abi: taskMarketAbi,
    simulate: true,
    functionName: 'commit',
    args: [params.taskId, 'commitment' in params ? params.commitment : commitmentOfSigner(ctx, params)],
    ...txOptions(params),
  });
}

/** The signer's commitment to `(taskId, resultDigest, salt)`. */
export function commitmentOfSigner(
  ctx: Pick<ConcordContext, 'account'>,
  c: { taskId: bigint; resultDigest: Hex; salt: Hex },
): Hex {
  return commitment({
    taskId: c.taskId,
    resultDigest: c.resultDigest,
    salt: c.salt,
    participant: ctx.account.address,
  });
}

import type { TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';

/** Parameters of {@link setModelMemory}: the cap in bytes (0n = unlimited, at most 2^64 - 1). */
export type SetModelMemoryParameters = { bytes: bigint };
/** The receipt. */
export type SetModelMemoryReturnType = TransactionReceipt;

/**
 * Announces the most model-weight bytes the signer's node accepts to host
 * (NodeRegistry's `setModelMemory`); every node plans shards within it. The
 * signer must be registered (`NodeUnknown` otherwise).
 */
export async function setModelMemory(
  ctx: ConcordContext,
  params: SetModelMemoryParameters,
): Promise<SetModelMemoryReturnType> {
  return await sendContract(ctx, {
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'setModelMemory',
    args: [params.bytes],
  });
}

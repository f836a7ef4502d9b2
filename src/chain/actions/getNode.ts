import type { Address } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';

/** Parameters of {@link getNode}; the signer when `account` is omitted. */
export type GetNodeParameters = { account?: Address };
/** What the registry stores about a node. */
export type GetNodeReturnType = {
  registered: boolean;
  peerId: `0x${string}`;
  peerSig: `0x${string}`;
  /** Active (voting) stake. */
  stake: bigint;
  /** Stake waiting for withdrawal (still slashable). */
  pending: bigint;
  /** Unix time from which `pending` can be withdrawn. */
  unlockAt: bigint;
};

/** Reads a node's registration and stake. */
export async function getNode(
  ctx: ConcordContext,
  params: GetNodeParameters = {},
): Promise<GetNodeReturnType> {
  const n = await ctx.publicClient.readContract({
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'getNode',
    args: [params.account ?? ctx.account.address],
  });
  return {
    registered: n.registered,
    peerId: n.peerId,
    peerSig: n.peerSig,
    stake: n.stake,
    pending: n.pending,
    unlockAt: BigInt(n.unlockAt),
  };
}

import type { Hex, TransactionReceipt } from 'viem';
import { nodeRegistryAbi } from '../../../generated/contracts/index.ts';
import type { ConcordContext } from '../context.ts';
import { sendContract } from '../send.ts';
import { ensureAllowance } from './ensureAllowance.ts';

/** Parameters of {@link register}. */
export type RegisterParameters = {
  /** The node's libp2p peer id bytes. */
  peerId: Hex;
  /** The libp2p key's signature over (chainId, registry, account). */
  peerSig: Hex;
  /** Initial stake, at least the registry's `minStake`. */
  stake: bigint;
};
/** The registration's receipt. */
export type RegisterReturnType = TransactionReceipt;

/** Registers the signer as a node bound to `peerId`, staking `stake` CCD (approving the registry if needed). */
export async function register(ctx: ConcordContext, params: RegisterParameters): Promise<RegisterReturnType> {
  await ensureAllowance(ctx, { spender: ctx.addresses.registry, amount: params.stake });
  return await sendContract(ctx, {
    address: ctx.addresses.registry,
    abi: nodeRegistryAbi,
    functionName: 'register',
    args: [params.peerId, params.peerSig, params.stake],
  });
}

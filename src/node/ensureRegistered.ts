import type { PrivateKey } from '@libp2p/interface';
import { formatEther } from 'viem';
import { balanceOf } from '../chain/actions/balanceOf.ts';
import { getNode } from '../chain/actions/getNode.ts';
import { minStake } from '../chain/actions/minStake.ts';
import { register } from '../chain/actions/register.ts';
import { stake } from '../chain/actions/stake.ts';
import type { ConcordContext } from '../chain/context.ts';
import { AccountUnfundedError, PeerIdMismatchError } from './errors.ts';
import { signPeerBinding } from './peerBinding.ts';

/** What `ensureRegistered` did. */
export type EnsureRegisteredReturnType = { registered: boolean; staked: bigint; stake: bigint };

/**
 * Makes the node a registered, staked member of NodeRegistry: registers the
 * account with its signed peer binding if needed, then tops its active stake
 * up to `targetStake` (default the registry's minimum). Refuses to run under
 * an account bound to another peer key, and throws AccountUnfundedError,
 * naming the missing balance, before sending anything it cannot pay for.
 */
export async function ensureRegistered(
  ctx: ConcordContext,
  peerKey: PrivateKey,
  targetStake?: bigint,
): Promise<EnsureRegisteredReturnType> {
  const target = targetStake ?? (await minStake(ctx));
  const node = await getNode(ctx);
  const binding = await signPeerBinding(peerKey, {
    chainId: ctx.chain.id,
    registry: ctx.addresses.registry,
    account: ctx.account.address,
  });
  if (!node.registered) {
    await ensureFunds(ctx, target);
    await register(ctx, { ...binding, stake: target });
    return { registered: true, staked: target, stake: target };
  }
  if (node.peerId.toLowerCase() !== binding.peerId.toLowerCase()) {
    throw new PeerIdMismatchError(`Account ${ctx.account.address} is registered with another peer id.`, {
      hint: "Use the data directory (peer key) this account registered with, or another account's key.",
    });
  }
  if (node.stake >= target) return { registered: false, staked: 0n, stake: node.stake };
  await ensureFunds(ctx, target - node.stake);
  await stake(ctx, { amount: target - node.stake });
  return { registered: false, staked: target - node.stake, stake: target };
}

/** Throws AccountUnfundedError unless the account holds some ETH for gas and `needed` CCD. */
async function ensureFunds(ctx: ConcordContext, needed: bigint): Promise<void> {
  const account = ctx.account.address;
  const [eth, ccd] = await Promise.all([
    ctx.publicClient.getBalance({ address: account }),
    balanceOf(ctx, { account }),
  ]);
  const missing = [
    ...(eth === 0n ? ['ETH for gas (it holds none)'] : []),
    ...(ccd < needed ? [`${formatEther(needed)} CCD to stake (it holds ${formatEther(ccd)})`] : []),
  ];
  if (missing.length === 0) return;
  throw new AccountUnfundedError(`Account ${account} needs ${missing.join(' and ')}.`, {
    hint: `Fund it: \`concord fund ${account} --eth 1 --ccd ${formatEther(needed)}\` (from the deployer on a local chain, or --from KEYFILE), then start the node again.`,
  });
}

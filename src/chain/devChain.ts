import { type Hex, parseEther, toHex } from 'viem';
import { register } from './actions/register.ts';
import { transfer } from './actions/transfer.ts';
import { type AnvilInstance, type StartAnvilOptions, startAnvil } from './anvil.ts';
import { createConcordClients } from './client.ts';
import { type ConcordContext, createConcordContext } from './context.ts';
import { type DeployConcordOptions, deployConcord } from './deploy.ts';
import type { Deployment } from './deployment.ts';
import { devAccount } from './devAccounts.ts';

/** Options of {@link startDevChain}. */
export type StartDevChainOptions = {
  /** How many actor accounts (dev accounts 1..n) to fund and return (default 3). */
  actors?: number;
  /** CCD each actor receives from the deployer (default 1,000,000). */
  fund?: bigint;
  /** Register each actor as a node with this stake (default: don't register). */
  registerStake?: bigint;
  deploy?: DeployConcordOptions;
  anvil?: StartAnvilOptions;
};

/** A fresh local chain with Concord deployed and funded actors: for tests, benchmarks and devnets. */
export type DevChain = {
  anvil: AnvilInstance;
  deployment: Deployment;
  /** The deployer (dev account 0), owner of the contracts and holder of the remaining supply. */
  deployer: ConcordContext;
  /** Dev accounts 1..n. */
  actors: ConcordContext[];
  stop(): Promise<void>;
};

/** The dev peer id used when {@link startDevChain} registers actor `i`. */
export function devPeerId(i: number): Hex {
  return toHex(`dev-peer-${i}`);
}

/** Starts anvil, deploys Concord as dev account 0, and funds (and optionally registers) dev accounts 1..n. */
export async function startDevChain(options: StartDevChainOptions = {}): Promise<DevChain> {
  const count = options.actors ?? 3;
  const anvil = await startAnvil({ accounts: Math.max(10, count + 1), ...options.anvil });
  try {
    const connect = async (i: number, deployment: Pick<Deployment, 'addresses'>) =>
      await createConcordContext({ rpcUrl: anvil.rpcUrl, privateKey: devAccount(i).privateKey, deployment });
    const owner = await createConcordClients({ rpcUrl: anvil.rpcUrl, privateKey: devAccount(0).privateKey });
    const deployment = { ...(await deployConcord(owner, options.deploy)), rpcUrl: anvil.rpcUrl };
    const deployer = { ...owner, addresses: deployment.addresses };
    const actors: ConcordContext[] = [];
    for (let i = 1; i <= count; i++) {
      const actor = await connect(i, deployment);
      await transfer(deployer, { to: actor.account.address, amount: options.fund ?? parseEther('1000000') });
      if (options.registerStake !== undefined) {
        await register(actor, { peerId: devPeerId(i), peerSig: '0x01', stake: options.registerStake });
      }
      actors.push(actor);
    }
    return { anvil, deployment, deployer, actors, stop: anvil.stop };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { type Address, type Hex, isAddress } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { type ConcordContext, createConcordContext } from '../chain/context.ts';
import { readDeployment } from '../chain/deployment.ts';
import { nodePaths } from '../node/dataDir.ts';
import { DevnetNotFoundError, InvalidAddressError } from './errors.ts';
import { devnetLayout, readDevnetState } from './layout.ts';
import { NodeClient } from './nodeClient.ts';

/** The flags the thin CLI commands use to find a node or a chain. */
export type TargetFlags = {
  /** A node's API base URL. */
  node?: string | undefined;
  /** File holding that node's API token (needed for writes). */
  tokenFile?: string | undefined;
  /** A devnet directory whose node 0 is the default. */
  dir?: string | undefined;
  /** EVM JSON-RPC URL, for chain reads without a node. */
  chain?: string | undefined;
  /** Deployment JSON, for chain reads without a node. */
  contracts?: string | undefined;
};

/**
 * The node the CLI talks to: `--node URL` (with `--token-file` for writes),
 * else node 0 of the devnet in `--dir` (default `.concord/devnet`), whose
 * token the CLI reads from its data dir.
 */
export function resolveNode(flags: TargetFlags): NodeClient {
  if (flags.node !== undefined) {
    const token = flags.tokenFile === undefined ? undefined : readFileSync(flags.tokenFile, 'utf8').trim();
    return new NodeClient(flags.node.replace(/\/+$/, ''), token);
  }
  const layout = devnetLayout(flags.dir);
  const first = readDevnetState(layout).nodes[0];
  if (first === undefined) {
    throw new DevnetNotFoundError(`The devnet in ${layout.dir} has no node.`, {
      hint: 'Start it again with `concord devnet`, or pass --node URL.',
    });
  }
  const tokenFile = nodePaths(first.dataDir).apiToken;
  const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  return new NodeClient(first.apiUrl, token);
}

/**
 * A chain context on `--chain` and `--contracts` when given, else the
 * devnet's in `--dir`, signing with `privateKey`.
 */
export async function resolveChain(flags: TargetFlags, privateKey: Hex): Promise<ConcordContext> {
  let rpcUrl = flags.chain;
  let contracts = flags.contracts;
  if (rpcUrl === undefined || contracts === undefined) {
    const state = readDevnetState(devnetLayout(flags.dir));
    rpcUrl ??= state.rpcUrl;
    contracts ??= state.deploymentFile;
  }
  return await createConcordContext({ rpcUrl, privateKey, deployment: readDeployment(contracts) });
}

/** A read-only chain context (see {@link resolveChain}): it signs with a throwaway key and is used for reads only. */
export async function resolveChainReader(flags: TargetFlags): Promise<ConcordContext> {
  return await resolveChain(flags, generatePrivateKey());
}

/** The accounts a read is about: the one given, else every node of the devnet in `flags.dir`. */
export function resolveAccounts(flags: TargetFlags, given: string | undefined): Address[] {
  if (given !== undefined) {
    if (!isAddress(given)) {
      throw new InvalidAddressError(`'${given}' is not an EVM address.`, {
        hint: 'Pass a 0x-prefixed 20-byte hex address, or none for every devnet node.',
      });
    }
    return [given];
  }
  return readDevnetState(devnetLayout(flags.dir)).nodes.map((n) => n.address);
}

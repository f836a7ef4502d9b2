import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDeployment } from '../chain/deployment.ts';
import { devAccount } from '../chain/devAccounts.ts';
import type { DevChain } from '../chain/devChain.ts';
import { type NodeConfig, type RunningNode, startNode } from './daemon.ts';

/** What {@link startLocalNodes} needs: a dev chain, a scratch directory and how many nodes. */
export type StartLocalNodesOptions = {
  chain: DevChain;
  /** Scratch directory: the deployment file, key files and data dirs go here. */
  dir: string;
  count: number;
  /** Per node index, config on top of the defaults (e.g. `replicas`, `pollIntervalMs`). */
  config?: (index: number) => Partial<NodeConfig>;
};

/**
 * Starts `count` nodes in this process on a dev chain, one after the other:
 * node i signs with dev account i + 1, listens on 127.0.0.1 (libp2p and API
 * on free ports), and nodes 1.. bootstrap from node 0. For tests and
 * benchmarks; stop each returned node when done.
 */
export async function startLocalNodes(options: StartLocalNodesOptions): Promise<RunningNode[]> {
  const deploymentFile = join(options.dir, 'deployment.json');
  writeDeployment(deploymentFile, options.chain.deployment);
  const nodes: RunningNode[] = [];
  try {
    for (let i = 0; i < options.count; i++) {
      const keyFile = join(options.dir, `node${i}.key`);
      writeFileSync(keyFile, devAccount(i + 1).privateKey, { mode: 0o600 });
      nodes.push(
        await startNode({
          rpcUrl: options.chain.anvil.rpcUrl,
          deploymentFile,
          dataDir: join(options.dir, `node${i}`),
          keyFile,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          bootstrap: i === 0 ? [] : nodes[0]!.multiaddrs,
          apiPort: 0,
          log: () => undefined,
          version: 'local',
          ...options.config?.(i),
        }),
      );
    }
    return nodes;
  } catch (err) {
    for (const node of nodes) await node.stop();
    throw err;
  }
}

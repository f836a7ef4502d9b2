import { DEFAULT_CHAIN_DIR, upLocalChain } from '../../chain/localChain.ts';
import { type Command, UsageError } from '../command.ts';

/** `concord chain up`: a local anvil with Concord deployed, surviving this command. */
export const chainUpCommand: Command = {
  path: ['chain', 'up'],
  summary: 'start a local chain (anvil) with the Concord contracts deployed',
  usage: [
    'Usage: concord chain up [--host H] [--port P] [--dir D] [--json]',
    '',
    'Starts anvil in the background (its state is kept in D, so `up` after `down`',
    'resumes the same chain), deploys the contracts once, writes D/deployment.json',
    'and D/anvil.pid, and prints the RPC URL and contract addresses. The deployment',
    'names an RPC URL other machines can use: with --host 0.0.0.0, the first',
    'non-loopback address of this machine (every one is printed, loopback last).',
    '',
    'Options:',
    '  --host H  interface anvil listens on when it starts (default 127.0.0.1, this',
    '            machine only; 0.0.0.0 for every interface, or one address of it)',
    '  --port P  RPC port (default: the last one used, else 8545, else any free port)',
    `  --dir D   directory for state, log, pid and deployment (default ${DEFAULT_CHAIN_DIR})`,
    '  --json    print JSON instead of a table',
  ].join('\n'),
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, stdout }) {
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new UsageError(`--port must be an integer 1..65535, got '${String(values.port)}'.`);
    }
    const chain = await upLocalChain({
      ...(typeof values.dir === 'string' ? { dir: values.dir } : {}),
      ...(port === undefined ? {} : { port }),
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
    });
    const { deployment } = chain;
    if (values.json) {
      stdout(
        JSON.stringify({
          rpcUrl: chain.rpcUrl,
          rpcUrls: chain.rpcUrls,
          chainId: deployment.chainId,
          pid: chain.pid,
          dir: chain.dir,
          alreadyRunning: chain.alreadyRunning,
          reusedDeployment: chain.reusedDeployment,
          deployedAt: deployment.deployedAt.toString(),
          addresses: deployment.addresses,
        }),
      );
      return 0;
    }
    const rows: [string, string][] = [
      ['rpc', chain.rpcUrls.join(' ')],
      ['chain id', String(deployment.chainId)],
      ['pid', `${chain.pid}${chain.alreadyRunning ? ' (already running)' : ''}`],
      ['dir', chain.dir],
      ...Object.entries(deployment.addresses),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) stdout(`${k.padEnd(width)}  ${v}`);
    stdout(
      chain.reusedDeployment ? 'contracts: reused' : `contracts: deployed at block ${deployment.deployedAt}`,
    );
    return 0;
  },
};

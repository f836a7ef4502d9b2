import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createConcordClients } from '../../chain/client.ts';
import { DEPLOY_DEFAULTS, type DeployConcordOptions, deployConcord } from '../../chain/deploy.ts';
import { writeDeployment } from '../../chain/deployment.ts';
import { deploymentFile } from '../../chain/localChain.ts';
import { BaseError } from '../../core/errors.ts';
import { readKeyFile } from '../../node/keys.ts';
import { type Command, UsageError } from '../command.ts';

/** `concord chain deploy` would overwrite a deployment file; pass `--force` or another `--out`. */
export class DeploymentFileExistsError extends BaseError {
  override name = 'DeploymentFileExistsError';
}

/** `concord chain deploy`: deploys the Concord contracts to any EVM JSON-RPC endpoint. */
export const chainDeployCommand: Command = {
  path: ['chain', 'deploy'],
  summary: 'deploy the Concord contracts to an existing EVM chain (any JSON-RPC endpoint)',
  usage: [
    'Usage: concord chain deploy --rpc URL --key FILE [--out FILE] [--force]',
    '                            [--min-stake WEI] [--unstake-delay S] [--json]',
    '',
    'Deploys ConcordToken, NodeRegistry, Shares, TaskMarket, ModelRegistry,',
    'AccessCredits and InferenceSettlement, signed by the key in FILE (which pays',
    'the gas, owns the contracts and receives the token supply), wires their',
    'roles, and writes the deployment JSON that nodes read (`concord node start',
    '--contracts FILE`). The RPC URL is stored in it, so nodes may omit --chain.',
    '',
    'Options:',
    '  --rpc URL            EVM JSON-RPC endpoint (also accepted as --chain URL)',
    '  --key FILE           deployer private key file (0x + 64 hex, mode 0600)',
    `  --out FILE           where to write the deployment (default ${deploymentFile()})`,
    '  --force              overwrite an existing --out file',
    `  --min-stake WEI      least active stake of a node (default ${DEPLOY_DEFAULTS.minStake})`,
    `  --unstake-delay S    seconds before unstaked tokens can be withdrawn (default ${DEPLOY_DEFAULTS.unstakeDelay})`,
    '  --json               print JSON instead of a table',
  ].join('\n'),
  options: {
    rpc: { type: 'string' },
    chain: { type: 'string' },
    key: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    'min-stake': { type: 'string' },
    'unstake-delay': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, stdout }) {
    const rpcUrl = str(values.rpc) ?? str(values.chain);
    if (rpcUrl === undefined) throw new UsageError('concord chain deploy needs --rpc URL.');
    const keyFile = str(values.key);
    if (keyFile === undefined) {
      throw new UsageError('concord chain deploy needs --key FILE.', {
        hint: 'Write the deployer key as 0x + 64 hex digits to a file with mode 0600.',
      });
    }
    const out = resolve(str(values.out) ?? deploymentFile());
    if (existsSync(out) && values.force !== true) {
      throw new DeploymentFileExistsError(`${out} already exists.`, {
        hint: 'Pass --out FILE for a new file, or --force to replace it.',
      });
    }
    const options: DeployConcordOptions = {
      ...optional('minStake', wholeNumber(values['min-stake'], '--min-stake')),
      ...optional('unstakeDelay', wholeNumber(values['unstake-delay'], '--unstake-delay')),
    };
    const keys = readKeyFile(keyFile);
    const clients = await createConcordClients({ rpcUrl, privateKey: keys.privateKey.reveal() });
    const deployment = { ...(await deployConcord(clients, options)), rpcUrl };
    writeDeployment(out, deployment);
    if (values.json) {
      stdout(
        JSON.stringify({
          file: out,
          rpcUrl,
          chainId: deployment.chainId,
          deployer: keys.address,
          deployedAt: deployment.deployedAt.toString(),
          addresses: deployment.addresses,
        }),
      );
      return 0;
    }
    const rows: [string, string][] = [
      ['rpc', rpcUrl],
      ['chain id', String(deployment.chainId)],
      ['deployer', keys.address],
      ['file', out],
      ...Object.entries(deployment.addresses),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) stdout(`${k.padEnd(width)}  ${v}`);
    stdout(`contracts: deployed at block ${deployment.deployedAt}`);
    return 0;
  },
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function wholeNumber(v: unknown, flag: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]{1,78}$/.test(v)) {
    throw new UsageError(`${flag} must be a whole number, got '${String(v)}'.`);
  }
  return BigInt(v);
}

function optional<K extends string>(key: K, value: bigint | undefined): Partial<Record<K, bigint>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, bigint>);
}

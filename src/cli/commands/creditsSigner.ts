import { dirname } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { type ConcordContext, createConcordContext } from '../../chain/context.ts';
import { readDeployment } from '../../chain/deployment.ts';
import { devnetLayout, readDevnetState } from '../../devnet/layout.ts';
import type { TargetFlags } from '../../devnet/target.ts';
import { loadOrCreateNodeKeys } from '../../node/keys.ts';
import type { CommandContext } from '../command.ts';
import { targetFlags, targetOptions } from './taskTarget.ts';

/** Flags of the `credits` commands that sign: the target flags plus `--key FILE`. */
export const signerOptions: NonNullable<ParseArgsConfig['options']> = {
  ...targetOptions,
  key: { type: 'string' },
};

/** Usage lines of {@link signerOptions}. */
export const signerUsage: readonly string[] = [
  '  --key FILE          EVM private key file, mode 0600 (default: node 0 of the devnet in --dir)',
  '  --dir D             devnet directory, for the defaults of --chain, --contracts and --key',
  '  --chain URL         EVM JSON-RPC URL (default: the devnet’s)',
  '  --contracts FILE    deployment JSON (default: the devnet’s)',
  '  --json              print JSON',
];

/**
 * A chain context that signs as the holder of `--key FILE` (default: the key
 * of node 0 of the devnet in `--dir`), on `--chain`/`--contracts` (default:
 * the devnet's chain and deployment).
 */
export async function resolveSigner(values: CommandContext['values']): Promise<ConcordContext> {
  const flags: TargetFlags = targetFlags(values);
  let keyFile = typeof values.key === 'string' ? values.key : undefined;
  let rpcUrl = flags.chain;
  let contracts = flags.contracts;
  if (keyFile === undefined || rpcUrl === undefined || contracts === undefined) {
    const layout = devnetLayout(flags.dir);
    const state = readDevnetState(layout);
    keyFile ??= layout.keyFile(0);
    rpcUrl ??= state.rpcUrl;
    contracts ??= state.deploymentFile;
  }
  const keys = loadOrCreateNodeKeys(dirname(keyFile), { keyFile });
  return await createConcordContext({
    rpcUrl,
    privateKey: keys.privateKey.reveal(),
    deployment: readDeployment(contracts),
  });
}

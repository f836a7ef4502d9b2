import { dirname } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { Hex } from 'viem';
import type { ConcordContext } from '../../chain/context.ts';
import { devnetLayout } from '../../client/layout.ts';
import { resolveChain } from '../../client/target.ts';
import { loadOrCreateNodeKeys } from '../../node/keys.ts';
import type { CommandContext } from '../command.ts';
import { SETTINGS_USAGE } from '../config.ts';
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
  ...SETTINGS_USAGE,
];

/**
 * A chain context that signs as the holder of `--key FILE` (default: the key
 * of node 0 of the devnet in `--dir`), on `--chain`/`--contracts` (default:
 * the devnet's chain and deployment).
 */
export async function resolveSigner(values: CommandContext['values']): Promise<ConcordContext> {
  const keyFile =
    typeof values.key === 'string' ? values.key : devnetLayout(targetFlags(values).dir).keyFile(0);
  const keys = loadOrCreateNodeKeys(dirname(keyFile), { keyFile });
  return await chainSigner(values, keys.privateKey.reveal());
}

/** A chain context signing with `privateKey` on `--chain`/`--contracts` (default: the devnet's in `--dir`). */
export async function chainSigner(
  values: CommandContext['values'],
  privateKey: Hex,
): Promise<ConcordContext> {
  return await resolveChain(targetFlags(values), privateKey);
}

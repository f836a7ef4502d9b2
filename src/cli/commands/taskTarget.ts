import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_DEVNET_DIR } from '../../client/layout.ts';
import type { TargetFlags } from '../../client/target.ts';
import type { CommandContext } from '../command.ts';
import { SETTINGS_USAGE } from '../config.ts';

/** The flags every thin CLI command (`task`, `balance`, `shares`) accepts to find its node or chain. */
export const targetOptions: NonNullable<ParseArgsConfig['options']> = {
  node: { type: 'string' },
  'token-file': { type: 'string' },
  dir: { type: 'string' },
  chain: { type: 'string' },
  contracts: { type: 'string' },
  json: { type: 'boolean' },
};

/** Usage lines of {@link targetOptions}. */
export const targetUsage: readonly string[] = [
  '  --node URL          a node API (default: node 0 of the devnet in --dir)',
  '  --token-file FILE   that node’s API token, for writes (a devnet’s is found by itself)',
  `  --dir D             devnet directory (default ${DEFAULT_DEVNET_DIR})`,
  '  --chain URL         EVM JSON-RPC URL for chain reads (default: the devnet’s)',
  '  --contracts FILE    deployment JSON for chain reads (default: the devnet’s)',
  '  --json              print JSON',
  ...SETTINGS_USAGE,
];

/** Picks the target flags out of parsed CLI values. */
export function targetFlags(values: CommandContext['values']): TargetFlags {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    node: str(values.node),
    tokenFile: str(values['token-file']),
    dir: str(values.dir),
    chain: str(values.chain),
    contracts: str(values.contracts),
  };
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command, CommandContext } from './command.ts';
import { UsageError } from './command.ts';

/** The config file `concord` reads from the working directory unless `--config FILE` names another. */
export const CONFIG_FILE = 'concord.json';

/**
 * One setting that `concord.json` and a `CONCORD_*` variable may give: the
 * flag it stands for, and whether it names a file (a relative path in the
 * config file is relative to that file's directory).
 */
type Setting = { key: string; env: string; flag: string; path: boolean; summary: string };

/**
 * Every setting, in the order `--help` lists them. A command takes a setting
 * only when it declares the flag, so `--key` from the config never reaches a
 * command without one.
 */
export const SETTINGS: readonly Setting[] = [
  { key: 'chain', env: 'CONCORD_CHAIN', flag: 'chain', path: false, summary: 'EVM JSON-RPC URL' },
  { key: 'contracts', env: 'CONCORD_CONTRACTS', flag: 'contracts', path: true, summary: 'deployment JSON' },
  { key: 'node', env: 'CONCORD_NODE', flag: 'node', path: false, summary: 'a node API URL' },
  {
    key: 'tokenFile',
    env: 'CONCORD_TOKEN_FILE',
    flag: 'token-file',
    path: true,
    summary: 'that node’s API token file',
  },
  { key: 'keyFile', env: 'CONCORD_KEY_FILE', flag: 'key', path: true, summary: 'EVM private key file' },
  { key: 'dataDir', env: 'CONCORD_DATA_DIR', flag: 'data', path: true, summary: 'a node’s data directory' },
  { key: 'logLevel', env: 'CONCORD_LOG_LEVEL', flag: 'log-level', path: false, summary: 'node log level' },
  { key: 'logFormat', env: 'CONCORD_LOG_FORMAT', flag: 'log-format', path: false, summary: 'text or json' },
];

/** `concord.json` (or `--config FILE`) is not valid: not JSON, not an object, an unknown key or a value of the wrong type. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

/** Settings by flag name, each already resolved (paths made absolute for the config file's). */
export type Settings = ReadonlyMap<string, string>;

/**
 * Reads the settings of `concord.json` in `cwd`, or of `configFile` when
 * given (which must exist). No file in `cwd` gives no settings. Throws
 * ConfigError naming the key for an unknown key or a value that is not a
 * non-empty string.
 */
export function readConfigFile(configFile: string | undefined, cwd: string): Settings {
  const file = configFile === undefined ? join(cwd, CONFIG_FILE) : resolve(cwd, configFile);
  if (configFile === undefined && !existsSync(file)) return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`Cannot read config file ${file}: ${firstLine(cause)}`, {
      hint: 'It must be a JSON object such as {"chain": "http://10.0.0.5:8545"}.',
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${file} must hold a JSON object.`);
  }
  const settings = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    const setting = SETTINGS.find((s) => s.key === key);
    if (setting === undefined) {
      throw new ConfigError(`Unknown key '${key}' in config file ${file}.`, {
        hint: `Known keys: ${SETTINGS.map((s) => s.key).join(', ')}.`,
      });
    }
    if (typeof value !== 'string' || value === '') {
      throw new ConfigError(`Key '${key}' in config file ${file} must be a non-empty string.`, {
        details: `got ${JSON.stringify(value)}`,
      });
    }
    settings.set(setting.flag, setting.path && !isAbsolute(value) ? resolve(dirname(file), value) : value);
  }
  return settings;
}

/** The settings the `CONCORD_*` variables of `env` give (empty variables are ignored). */
export function readEnvSettings(env: NodeJS.ProcessEnv): Settings {
  const settings = new Map<string, string>();
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== '') settings.set(s.flag, value);
  }
  return settings;
}

/**
 * `values` with every flag the command declares but was not given filled in
 * from the environment, else from the config file: flag > env > config file >
 * the command's own default.
 */
export function applySettings(
  command: Command,
  values: CommandContext['values'],
  sources: { env: Settings; file: Settings },
): CommandContext['values'] {
  const filled = { ...values };
  for (const s of SETTINGS) {
    if (command.options?.[s.flag] === undefined || filled[s.flag] !== undefined) continue;
    const value = sources.env.get(s.flag) ?? sources.file.get(s.flag);
    if (value !== undefined) filled[s.flag] = value;
  }
  return filled;
}

/** The `--config` line of a command's usage. */
export const SETTINGS_USAGE: readonly string[] = [
  '  --config FILE       settings file (default ./concord.json); it and CONCORD_* variables give',
  '                      the flags not passed (flag > env > file > default; see concord --help)',
];

/** Lines for `concord --help`: where settings come from and which there are. */
export function settingsHelp(): string[] {
  const width = Math.max(...SETTINGS.map((s) => s.key.length + s.env.length + 3));
  return [
    `Settings (flag > CONCORD_* variable > ${CONFIG_FILE} in the working directory or --config FILE > default):`,
    ...SETTINGS.map((s) => `  ${`${s.key}, ${s.env}`.padEnd(width)}  --${s.flag}: ${s.summary}`),
  ];
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
}

import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { readDeployment } from '../../chain/deployment.ts';
import { deploymentFile } from '../../chain/localChain.ts';
import { startNode } from '../../node/daemon.ts';
import { type AdmissionLimits, DEFAULT_ADMISSION_LIMITS } from '../../node/inference/completionAdmission.ts';
import { createNodeLogger, LOG_FORMATS, LOG_LEVELS } from '../../node/logger.ts';
import { DEFAULT_TASK_POLICY, type TaskPolicy } from '../../node/worker/taskPolicy.ts';
import { DEFAULT_CONFIRMATIONS } from '../../node/worker/worker.ts';
import { DEFAULT_REDIAL_MAX_MS } from '../../p2p/redialer.ts';
import { parseByteSize } from '../byteSize.ts';
import { type Command, synopsis, UsageError } from '../command.ts';
import { SETTINGS_USAGE } from '../config.ts';
import { extendNodeApi } from '../nodeApiExtensions.ts';

const DEFAULT_DATA_DIR = '.concord/node';
const CRASH_POINTS = ['commit-sent', 'committed'] as const;

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The flags of `concord node start`; its usage line is generated from them. */
const NODE_START_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  chain: { type: 'string' },
  contracts: { type: 'string' },
  key: { type: 'string' },
  data: { type: 'string' },
  listen: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  api: { type: 'string' },
  'api-host': { type: 'string' },
  'api-allowed-hosts': { type: 'string', multiple: true },
  stake: { type: 'string' },
  'poll-ms': { type: 'string' },
  'chain-wait': { type: 'string' },
  'redial-max-seconds': { type: 'string' },
  confirmations: { type: 'string' },
  replicas: { type: 'string' },
  standbys: { type: 'string' },
  'shards-per-matrix': { type: 'string' },
  'max-model-memory': { type: 'string' },
  'credits-per-token': { type: 'string' },
  'max-running': { type: 'string' },
  'max-queued': { type: 'string' },
  'queue-wait': { type: 'string' },
  'max-bond': { type: 'string' },
  'max-slash-multiple': { type: 'string' },
  'min-commit-seconds': { type: 'string' },
  'min-reveal-seconds': { type: 'string' },
  'max-lock-seconds': { type: 'string' },
  lie: { type: 'boolean' },
  lazy: { type: 'boolean' },
  'crash-after': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

/** The argument name each flag shows in the usage line. */
const OPTION_ARGS: Record<string, string> = {
  chain: 'URL',
  contracts: 'FILE',
  key: 'FILE',
  data: 'DIR',
  listen: 'MULTIADDR',
  bootstrap: 'MULTIADDR',
  api: 'PORT',
  'api-host': 'HOST',
  'api-allowed-hosts': 'NAME,...',
  stake: 'WEI',
  'chain-wait': 'S',
  'redial-max-seconds': 'S',
  'queue-wait': 'S',
  'max-model-memory': 'BYTES',
  'max-bond': 'WEI',
  'crash-after': 'POINT',
  'log-level': 'LEVEL',
  'log-format': 'FORMAT',
};

/** Flags for tests, described in the options but kept out of the usage line. */
const TEST_ONLY = ['lie', 'lazy', 'crash-after'];

/** `concord node start`: runs a node until SIGINT or SIGTERM. */
export const nodeStartCommand: Command = {
  path: ['node', 'start'],
  summary: 'run a node: join the network, compute tasks, serve the HTTP API',
  usage: [
    synopsis({ path: ['node', 'start'], options: NODE_START_OPTIONS }, OPTION_ARGS, TEST_ONLY),
    '',
    'Starts a node: registers and stakes its account if needed, follows the',
    "chain's tasks, computes, commits, reveals, finalizes and claims, exchanges",
    'results with the winners of its pools, serves its shards of the newest model',
    'and answers prompts as a gateway, and serves the HTTP API (127.0.0.1).',
    'Stops cleanly on Ctrl-C; after a crash it resumes from its journal.',
    '',
    'Options:',
    '  --chain URL           EVM JSON-RPC URL (default: the rpcUrl in the deployment file)',
    `  --contracts FILE      deployment JSON (default ${deploymentFile()})`,
    '  --key FILE            EVM private key file, mode 0600 (default: DIR/keys/evm.key, made at first start)',
    `  --data DIR            data directory (default ${DEFAULT_DATA_DIR})`,
    '  --listen MULTIADDR    libp2p listen address, repeatable (default /ip4/127.0.0.1/tcp/0)',
    '  --bootstrap MULTIADDR peer to join through (with /p2p/<id>), repeatable',
    '  --api PORT            HTTP API port (default: any free port; see DIR/node.json)',
    '  --api-host HOST       HTTP API interface (default 127.0.0.1)',
    '  --api-allowed-hosts NAME,...  Host header names the API answers besides localhost, 127.0.0.1, [::1]',
    "                        and --api-host (any port); others get 421. '*' allows any (see docs/api.md)",
    '  --stake WEI           stake to keep active (default: the registry minimum)',
    '  --poll-ms N           worker round interval in ms (default 250)',
    '  --chain-wait S        at start, wait up to S seconds for an unreachable chain (default 60)',
    `  --redial-max-seconds S  longest wait between redials of a lost peer (default ${DEFAULT_REDIAL_MAX_MS / 1000})`,
    `  --confirmations N     blocks on top before a transaction counts as confirmed (default ${DEFAULT_CONFIRMATIONS})`,
    '  --replicas N          hosts that compute each shard of a model (default 1)',
    '  --standbys N          standby hosts per shard (default 1)',
    '  --shards-per-matrix N shards each exchange (heads, MLP rows, vocabulary) is cut into (default 4)',
    '  --max-model-memory BYTES  most model-weight bytes this node hosts (shards and standbys), announced on',
    '                        chain for every planner; 512MiB, 2GB, ... (KB/MB/GB, KiB/MiB/GiB) (default 0 = unlimited)',
    '  --credits-per-token N    credits this gateway asks per generated token (default 1)',
    `  --max-running N       completions this gateway generates at once (default ${DEFAULT_ADMISSION_LIMITS.maxRunning})`,
    `  --max-queued N        completions that wait for a slot; beyond, 429 with Retry-After (default ${DEFAULT_ADMISSION_LIMITS.maxQueued})`,
    `  --queue-wait S        longest wait for a slot, then 503 with Retry-After (default ${DEFAULT_ADMISSION_LIMITS.maxWaitMs / 1000})`,
    `  --max-bond WEI        refuse tasks whose bond is higher (default ${DEFAULT_TASK_POLICY.maxBond})`,
    `  --max-slash-multiple N  refuse tasks whose stakeSlash exceeds N x the base reward (default ${DEFAULT_TASK_POLICY.maxSlashMultiple})`,
    `  --min-commit-seconds N  refuse tasks with less time left to commit (default ${DEFAULT_TASK_POLICY.minCommitSeconds})`,
    `  --min-reveal-seconds N  refuse tasks with a shorter reveal window (default ${DEFAULT_TASK_POLICY.minRevealSeconds})`,
    `  --max-lock-seconds N  refuse tasks whose reveal deadline (until which a commit locks stake) is further away (default ${DEFAULT_TASK_POLICY.maxLockSeconds})`,
    `  --log-level LEVEL     least severe entries written: ${LOG_LEVELS.join(' | ')} (default info)`,
    `  --log-format FORMAT   text (one readable line an entry, the default) or json (one JSON object a line)`,
    ...SETTINGS_USAGE,
    '  --lie                 TESTS ONLY: commit wrong results and serve wrong partial products',
    "  --lazy                TESTS ONLY: compute nothing, replay another member's commitment",
    `  --crash-after POINT   TESTS ONLY: SIGKILL itself at ${CRASH_POINTS.join(' | ')} of a commit`,
  ].join('\n'),
  options: NODE_START_OPTIONS,
  async run({ values, stdout }) {
    const contracts = str(values.contracts) ?? deploymentFile();
    const rpcUrl = str(values.chain) ?? readDeployment(contracts).rpcUrl;
    if (rpcUrl === undefined)
      throw new UsageError('No --chain URL given and the deployment file names none.');
    const logger = createNodeLogger({
      level: oneOf(values['log-level'], LOG_LEVELS, '--log-level'),
      format: oneOf(values['log-format'], LOG_FORMATS, '--log-format'),
      write: stdout,
    });
    const crashAfter = str(values['crash-after']);
    if (crashAfter !== undefined && !(CRASH_POINTS as readonly string[]).includes(crashAfter)) {
      throw new UsageError(`--crash-after must be one of ${CRASH_POINTS.join(', ')}.`);
    }
    const node = await startNode({
      rpcUrl,
      deploymentFile: contracts,
      dataDir: str(values.data) ?? DEFAULT_DATA_DIR,
      keyFile: str(values.key),
      listen: list(values.listen) ?? ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: list(values.bootstrap) ?? [],
      apiPort: intOption(values.api, '--api', 0, 65535) ?? 0,
      apiHost: str(values['api-host']),
      stake: bigintOption(values.stake, '--stake'),
      pollIntervalMs: intOption(values['poll-ms'], '--poll-ms', 10, 60_000),
      chainWaitMs:
        values['chain-wait'] === undefined
          ? undefined
          : intOption(values['chain-wait'], '--chain-wait', 0, 3600)! * 1000,
      redialMaxMs:
        values['redial-max-seconds'] === undefined
          ? undefined
          : intOption(values['redial-max-seconds'], '--redial-max-seconds', 1, 3600)! * 1000,
      confirmations: intOption(values.confirmations, '--confirmations', 0, 1000),
      replicas: intOption(values.replicas, '--replicas', 1, 64),
      standbys: intOption(values.standbys, '--standbys', 0, 64),
      shardsPerMatrix: intOption(values['shards-per-matrix'], '--shards-per-matrix', 1, 4096),
      maxModelMemory: byteSizeOption(values['max-model-memory'], '--max-model-memory'),
      creditsPerToken: bigintOption(values['credits-per-token'], '--credits-per-token'),
      admission: admissionOf(values),
      taskPolicy: taskPolicyOf(values),
      lie: values.lie === true,
      lazy: values.lazy === true,
      crashAfter: crashAfter as (typeof CRASH_POINTS)[number] | undefined,
      log: logger.line,
      version: pkg.version,
      apiAllowedHosts: hostList(values['api-allowed-hosts']),
      extendApi: (app, deps, ctx, store) => extendNodeApi(app, { deps, ctx, store }),
    });
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    logger.info(`${signal}: stopping`);
    await node.stop();
    return 0;
  },
};

/** The worker's task policy from the flags, each defaulting to `DEFAULT_TASK_POLICY`. */
function taskPolicyOf(values: Record<string, unknown>): TaskPolicy {
  const d = DEFAULT_TASK_POLICY;
  const multiple = intOption(values['max-slash-multiple'], '--max-slash-multiple', 0, 1_000_000);
  return {
    maxBond: bigintOption(values['max-bond'], '--max-bond') ?? d.maxBond,
    maxSlashMultiple: multiple === undefined ? d.maxSlashMultiple : BigInt(multiple),
    minCommitSeconds:
      intOption(values['min-commit-seconds'], '--min-commit-seconds', 0, 86_400) ?? d.minCommitSeconds,
    minRevealSeconds:
      intOption(values['min-reveal-seconds'], '--min-reveal-seconds', 0, 86_400) ?? d.minRevealSeconds,
    maxLockSeconds:
      intOption(values['max-lock-seconds'], '--max-lock-seconds', 1, 30 * 86_400) ?? d.maxLockSeconds,
  };
}

/** The gateway's admission limits from the flags; those not given keep `DEFAULT_ADMISSION_LIMITS`. */
function admissionOf(values: Record<string, unknown>): Partial<AdmissionLimits> {
  const maxRunning = intOption(values['max-running'], '--max-running', 1, 4096);
  const maxQueued = intOption(values['max-queued'], '--max-queued', 0, 1_000_000);
  const wait = intOption(values['queue-wait'], '--queue-wait', 1, 3600);
  return {
    ...(maxRunning === undefined ? {} : { maxRunning }),
    ...(maxQueued === undefined ? {} : { maxQueued }),
    ...(wait === undefined ? {} : { maxWaitMs: wait * 1000 }),
  };
}

/** A flag's value when it is one of `allowed`; undefined when absent; a UsageError naming the flag otherwise. */
function oneOf<T extends string>(v: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got '${String(v)}').`);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 ? v.map(String) : undefined;
}

/** `--api-allowed-hosts a,b` (repeatable): host names, bracketed IPv6 addresses or `*`. */
function hostList(v: unknown): string[] | undefined {
  const hosts = list(v)?.flatMap((s) => s.split(',').map((h) => h.trim()));
  for (const host of hosts ?? []) {
    if (!/^(\*|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})$/.test(host)) {
      throw new UsageError(
        `--api-allowed-hosts: '${host}' is not a host name, a bracketed IPv6 address or '*'.`,
      );
    }
  }
  return hosts;
}

function intOption(v: unknown, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer ${min}..${max}.`);
  return n;
}

function byteSizeOption(v: unknown, flag: string): bigint | undefined {
  if (v === undefined) return undefined;
  const bytes = typeof v === 'string' ? parseByteSize(v) : undefined;
  if (bytes === undefined)
    throw new UsageError(
      `${flag} must be a byte count below 2^64, plain or with KB, MB, GB, KiB, MiB or GiB (got ${String(v)}).`,
    );
  return bytes;
}

function bigintOption(v: unknown, flag: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]{1,78}$/.test(v))
    throw new UsageError(`${flag} must be a whole number of wei.`);
  return BigInt(v);
}

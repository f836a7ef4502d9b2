import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseEther } from 'viem';
import type { NodeClient } from '../../client/nodeClient.ts';
import { resolveNode } from '../../client/target.ts';
import { builtinKindNames } from '../../tasks/builtin.ts';
import { type Command, UsageError } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord task create`: posts a task through a node, which escrows the reward and creates it on chain. */
export const taskCreateCommand: Command = {
  path: ['task', 'create'],
  summary: 'create a task from a spec file (through a node, which pays the escrow)',
  usage: [
    'Usage: concord task create --kind K --spec FILE [--reward CCD] [--participants N] [--quorum Q]',
    '                           [--bond CCD] [--stake-slash CCD] [--growth-bps B]',
    '                           [--commit-seconds S] [--reveal-seconds S]',
    '                           [target options]',
    '',
    'FILE is the task spec as JSON (see docs/devnet.md). A top-level string value',
    '"file:PATH" is uploaded to the node as a blob first and replaced by its',
    'digest (PATH relative to FILE), so a matvec spec can name its tensors.',
    '',
    'Options:',
    `  --kind K            task kind (${builtinKindNames()}); must match the spec`,
    '  --spec FILE         the spec JSON',
    '  --reward CCD        base reward per winning participant (default 1)',
    '  --participants N    committee size and most participants (default 3)',
    '  --quorum Q          fewest revealers for a result (default 2)',
    '  --bond CCD          bond per commit (default 1)',
    '  --stake-slash CCD   registry stake a member loses for a minority or missing reveal (default 0;',
    '                      at most 10 times the reward)',
    '  --growth-bps B      reward growth per extra participant, in basis points (default 0)',
    '  --commit-seconds S  commit window (default 120)',
    '  --reveal-seconds S  reveal window (default 120)',
    ...targetUsage,
  ].join('\n'),
  options: {
    ...targetOptions,
    kind: { type: 'string' },
    spec: { type: 'string' },
    reward: { type: 'string' },
    participants: { type: 'string' },
    quorum: { type: 'string' },
    bond: { type: 'string' },
    'stake-slash': { type: 'string' },
    'growth-bps': { type: 'string' },
    'commit-seconds': { type: 'string' },
    'reveal-seconds': { type: 'string' },
  },
  async run({ values, stdout }) {
    const kind = values.kind;
    const specFile = values.spec;
    if (typeof kind !== 'string' || typeof specFile !== 'string') {
      throw new UsageError('concord task create needs --kind K and --spec FILE.', {
        hint: 'Run `concord task create --help`.',
      });
    }
    const spec = readSpec(specFile);
    if (spec.kind !== undefined && spec.kind !== kind) {
      throw new UsageError(`--kind ${kind} does not match the spec's kind '${String(spec.kind)}'.`);
    }
    const participants = int(values.participants, '--participants', 1, 256) ?? 3;
    // Every flag is checked before anything is uploaded.
    const params = {
      baseReward: ccd(values.reward, '--reward') ?? parseEther('1').toString(),
      bond: ccd(values.bond, '--bond') ?? parseEther('1').toString(),
      stakeSlash: ccd(values['stake-slash'], '--stake-slash') ?? '0',
      growthBps: int(values['growth-bps'], '--growth-bps', 0, 1_000_000) ?? 0,
      maxParticipants: participants,
      committeeSize: participants,
      quorum: int(values.quorum, '--quorum', 1, participants) ?? Math.min(2, participants),
      commitSeconds: int(values['commit-seconds'], '--commit-seconds', 1, 30 * 86400) ?? 120,
      revealSeconds: int(values['reveal-seconds'], '--reveal-seconds', 1, 30 * 86400) ?? 120,
    };
    const node = resolveNode(targetFlags(values));
    const resolved = await uploadFileRefs(node, { ...spec, kind }, dirname(resolve(specFile)));
    const created = await node.createTask({ spec: { ...resolved, kind }, ...params });
    stdout(
      values.json
        ? JSON.stringify(created)
        : `task ${created.taskId} created (spec ${created.specDigest}, tx ${created.txHash})`,
    );
    return 0;
  },
};

function readSpec(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new UsageError(`Cannot read the spec ${file}: ${(cause as Error).message}`, {
      hint: 'Pass a JSON object file with --spec.',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`The spec ${file} is not a JSON object.`);
  }
  return parsed as Record<string, unknown>;
}

/** Uploads every top-level `"file:PATH"` value as a blob and puts its digest in its place. */
async function uploadFileRefs(
  node: NodeClient,
  spec: Record<string, unknown>,
  baseDir: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    out[key] =
      typeof value === 'string' && value.startsWith('file:')
        ? await node.putBlob(readFileSync(resolve(baseDir, value.slice(5))))
        : value;
  }
  return out;
}

function int(v: unknown, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer ${min}..${max}.`);
  return n;
}

function ccd(v: unknown, flag: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]{1,30}(\.[0-9]{1,18})?$/.test(v)) {
    throw new UsageError(`${flag} must be an amount of CCD like 1 or 0.5.`);
  }
  return parseEther(v).toString();
}

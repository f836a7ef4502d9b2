import { type ParseArgsConfig, parseArgs } from 'node:util';
import { BaseError } from '../core/errors.ts';

/** One `concord` subcommand (or a group of them, like `chain up|down`). */
export type Command = {
  /** The words that select it: `['chain', 'up']`. */
  path: readonly string[];
  /** One line for `concord --help`. */
  summary: string;
  /** Usage text shown by `concord <path> --help`. */
  usage: string;
  /** Flags understood by the command, in `node:util` parseArgs form. */
  options?: ParseArgsConfig['options'];
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
  /** Runs the command; resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
};

export type CommandContext = {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: (line: string) => void;
  stderr: (line: string) => void;
};

export class UsageError extends BaseError {
  override name = 'UsageError';
}

/** Parses a command's argv with its declared options; unknown flags are a UsageError. */
export function parseCommandArgs(
  command: Command,
  argv: string[],
): Pick<CommandContext, 'values' | 'positionals'> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' }, config: { type: 'string' } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
    return { values, positionals };
  } catch (cause) {
    throw new UsageError(`concord ${command.path.join(' ')}: ${(cause as Error).message}`, {
      hint: `Run \`concord ${command.path.join(' ')} --help\` for usage.`,
    });
  }
}

/**
 * The usage synopsis of a command generated from its flags, wrapped to
 * `width` columns: `Usage: concord node start [--chain URL] ...`. A flag's
 * argument name is `meta[flag]` (default `N`); boolean flags take none;
 * `hidden` flags (test-only ones) are left out.
 */
export function synopsis(
  command: Pick<Command, 'path' | 'options'>,
  meta: Readonly<Record<string, string>>,
  hidden: readonly string[] = [],
  width = 110,
): string {
  const head = `Usage: concord ${command.path.join(' ')}`;
  const words = Object.entries(command.options ?? {})
    .filter(([name]) => !hidden.includes(name))
    .map(([name, o]) => {
      const arg = o.type === 'boolean' ? '' : ` ${meta[name] ?? 'N'}`;
      return `[--${name}${arg}${o.multiple ? ' ...' : ''}]`;
    });
  const lines: string[] = [];
  let line = head;
  for (const word of words) {
    if (line.length + 1 + word.length > width && line.trim() !== '') {
      lines.push(line);
      line = ' '.repeat(head.length);
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** An integer flag's value within [min, max], or undefined when the flag was not given; else a UsageError. */
export function integerFlag(
  v: CommandContext['values'][string],
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer ${min}..${max}.`);
  }
  return n;
}

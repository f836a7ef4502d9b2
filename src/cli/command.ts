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
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
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

import { readFileSync } from 'node:fs';
import { BaseError } from '../core/errors.ts';
import { type Command, parseCommandArgs, UsageError } from './command.ts';
import { type CommandEntry, commands } from './commands/index.ts';
import { applySettings, readConfigFile, readEnvSettings, settingsHelp } from './config.ts';
import { createProcessOutput } from './processOutput.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function topHelp(list: readonly Command[]): string {
  const width = Math.max(0, ...list.map((c) => c.path.join(' ').length));
  const lines = list.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'concord — a decentralized AI network: tasks, majority consensus, shared models.',
    '',
    'Usage: concord <command> [options]',
    '',
    'Commands:',
    ...(lines.length > 0 ? lines : ['  (none yet)']),
    '',
    'Options:',
    '  -h, --help       show help (also after any command)',
    '  -v, --version    print the version',
    '  --config FILE    read settings from FILE instead of ./concord.json (after any command)',
    '',
    ...settingsHelp(),
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of argv. */
function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  let best: { entry: CommandEntry; rest: string[] } | undefined;
  for (const entry of commands) {
    const n = entry.path.length;
    if (n <= argv.length && entry.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.entry.path.length) best = { entry, rest: argv.slice(n) };
    }
  }
  return best;
}

/** Entry point of the `concord` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { stdout, stderr } = createProcessOutput();
  const first = argv[0];
  if (first === '--version' || first === '-v') {
    stdout(pkg.version);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    stdout(topHelp(await Promise.all(commands.map((c) => c.load()))));
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = commands.filter((c) => c.path[0] === first);
    if (group.length > 0) {
      stderr(`concord ${first}: expected one of: ${group.map((c) => c.path.join(' ')).join(', ')}`);
    } else {
      stderr(`concord: unknown command '${argv.join(' ')}'. Run \`concord --help\` for the list.`);
    }
    return 2;
  }
  try {
    const command = await found.entry.load();
    const { values, positionals } = parseCommandArgs(command, found.rest);
    if (values.help) {
      stdout(command.usage);
      return 0;
    }
    const configFile = typeof values.config === 'string' ? values.config : undefined;
    const settings = {
      env: readEnvSettings(process.env),
      file: readConfigFile(configFile, process.cwd()),
    };
    const filled = applySettings(command, values, settings);
    return await command.run({ values: filled, positionals, stdout, stderr });
  } catch (err) {
    if (err instanceof BaseError) {
      stderr(`error: ${err.name}: ${err.message}`);
      return err instanceof UsageError ? 2 : 1;
    }
    throw err;
  }
}

import { DEFAULT_CHAIN_DIR, downLocalChain } from '../../chain/localChain.ts';
import type { Command } from '../command.ts';

/** `concord chain down`: stops the local chain started by `concord chain up`. */
export const chainDownCommand: Command = {
  path: ['chain', 'down'],
  summary: 'stop the local chain started by `concord chain up` (its state is kept)',
  usage: [
    'Usage: concord chain down [--dir D] [--json]',
    '',
    'Stops the anvil whose pid is in D/anvil.pid. The chain state stays in D,',
    'so the next `concord chain up --dir D` resumes it.',
    '',
    'Options:',
    `  --dir D   the directory given to \`chain up\` (default ${DEFAULT_CHAIN_DIR})`,
    '  --json    print JSON',
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, stdout }) {
    const stopped = await downLocalChain(typeof values.dir === 'string' ? { dir: values.dir } : {});
    stdout(values.json ? JSON.stringify({ stopped }) : stopped ? 'chain stopped' : 'no chain was running');
    return 0;
  },
};

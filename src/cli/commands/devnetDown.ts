import { DEFAULT_DEVNET_DIR, devnetLayout } from '../../client/layout.ts';
import { stopDevnet } from '../../devnet/stopDevnet.ts';
import type { Command } from '../command.ts';

/** `concord devnet down`: stops a devnet started with `--detach`. */
export const devnetDownCommand: Command = {
  path: ['devnet', 'down'],
  summary: 'stop the devnet (its chain and node data stay for the next start)',
  usage: [
    'Usage: concord devnet down [--dir D] [--json]',
    '',
    'Stops every node of the devnet in D, then its anvil. The chain state and',
    'node data dirs stay, so `concord devnet --dir D` resumes the network.',
    '',
    'Options:',
    `  --dir D   the devnet directory (default ${DEFAULT_DEVNET_DIR})`,
    '  --json    print JSON',
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, stdout }) {
    const stopped = await stopDevnet(devnetLayout(typeof values.dir === 'string' ? values.dir : undefined));
    stdout(
      values.json
        ? JSON.stringify(stopped)
        : `stopped ${stopped.nodes} node${stopped.nodes === 1 ? '' : 's'}${stopped.chain ? ' and the chain' : ''}`,
    );
    return 0;
  },
};

import { sharesOf } from '../../chain/actions/sharesOf.ts';
import { formatTable } from '../../client/format.ts';
import { resolveAccounts, resolveChainReader } from '../../client/target.ts';
import { type Command, UsageError } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord shares [ADDRESS]`: ownership share units, in all artifacts or one task's. */
export const sharesCommand: Command = {
  path: ['shares'],
  summary: 'ownership share units of an address (default: every devnet node)',
  usage: [
    'Usage: concord shares [ADDRESS] [--task ID] [target options]',
    '',
    'Options:',
    "  --task ID           only the shares of that task's winning artifact",
    ...targetUsage,
  ].join('\n'),
  options: { ...targetOptions, task: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, stdout }) {
    const task = values.task;
    if (task !== undefined && (typeof task !== 'string' || !/^[0-9]{1,78}$/.test(task))) {
      throw new UsageError('--task must be a task id (a whole number).', {
        hint: 'See `concord task list`.',
      });
    }
    const flags = targetFlags(values);
    const accounts = resolveAccounts(flags, positionals[0]);
    const reader = await resolveChainReader(flags);
    const units = await Promise.all(
      accounts.map((account) =>
        sharesOf(reader, { account, ...(task === undefined ? {} : { taskId: BigInt(task) }) }),
      ),
    );
    if (values.json) {
      stdout(JSON.stringify(accounts.map((address, i) => ({ address, shares: String(units[i]) }))));
      return 0;
    }
    const rows = accounts.map((address, i) => [address, String(units[i])]);
    for (const line of formatTable(
      ['address', task === undefined ? 'shares' : `shares of task ${task}`],
      rows,
    ))
      stdout(line);
    return 0;
  },
};

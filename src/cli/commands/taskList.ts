import { formatTable } from '../../client/format.ts';
import { resolveNode } from '../../client/target.ts';
import { builtinKindNames } from '../../tasks/builtin.ts';
import { type Command, UsageError } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord task list`: the newest tasks a node sees on chain. */
export const taskListCommand: Command = {
  path: ['task', 'list'],
  summary: 'list tasks, newest first (state, commits, reveals, winner)',
  usage: [
    'Usage: concord task list [--state S] [--kind K] [--limit N] [--before ID] [target options]',
    '',
    'Options:',
    '  --state S           committing | revealing | finalizable | finalized | failed',
    `  --kind K            a task kind name (${builtinKindNames()})`,
    '  --limit N           at most N tasks, 1..100 (default 20)',
    '  --before ID         tasks with ids below ID (the `next` cursor of a page)',
    ...targetUsage,
  ].join('\n'),
  options: {
    ...targetOptions,
    state: { type: 'string' },
    kind: { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
  },
  async run({ values, stdout }) {
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new UsageError(`--limit must be an integer 1..100, got '${String(values.limit)}'.`);
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const page = await resolveNode(targetFlags(values)).tasks({
      state: str(values.state),
      kind: str(values.kind),
      before: str(values.before),
      limit,
    });
    if (values.json) {
      stdout(JSON.stringify(page));
      return 0;
    }
    const rows = page.tasks.map((t) => [
      t.id,
      t.kindName ?? t.kind.slice(0, 10),
      t.state,
      `${t.commits.length}/${t.committee.length}`,
      `${t.reveals.length}/${t.committee.length}`,
      t.winner === null ? '-' : `${t.winner.slice(0, 12)}…`,
    ]);
    for (const line of formatTable(['id', 'kind', 'state', 'commits', 'reveals', 'winner'], rows))
      stdout(line);
    if (page.tasks.length === 0) stdout('(no tasks)');
    if (page.next !== null) stdout(`more: --before ${page.next}`);
    return 0;
  },
};

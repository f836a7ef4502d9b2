import { formatCcd } from '../../client/format.ts';
import { resolveNode } from '../../client/target.ts';
import { type Command, UsageError } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord task show ID`: one task with its committee, commits, reveals, winner and payouts. */
export const taskShowCommand: Command = {
  path: ['task', 'show'],
  summary: 'show one task: committee, commits, reveals, winner, payouts',
  usage: ['Usage: concord task show ID [target options]', '', 'Options:', ...targetUsage].join('\n'),
  options: targetOptions,
  positionals: true,
  async run({ values, positionals, stdout }) {
    const id = positionals[0];
    if (positionals.length !== 1 || id === undefined || !/^[0-9]{1,78}$/.test(id)) {
      throw new UsageError('concord task show takes exactly one task id (a whole number).', {
        hint: 'Find ids with `concord task list`.',
      });
    }
    const t = await resolveNode(targetFlags(values)).task(id);
    if (values.json) {
      stdout(JSON.stringify(t));
      return 0;
    }
    const revealed = new Map(t.reveals.map((r) => [r.participant, r.digest]));
    const paid = new Map(t.payouts.map((p) => [p.account, BigInt(p.amount)]));
    stdout(`task ${t.id}  ${t.kindName ?? t.kind}  ${t.state}`);
    stdout(`spec      ${t.specDigest}`);
    stdout(`creator   ${t.creator}`);
    stdout(
      `reward    ${formatCcd(BigInt(t.baseReward))} (+${t.growthBps / 100}% per extra participant), quorum ${t.quorum}`,
    );
    stdout(`winner    ${t.winner ?? '-'}`);
    for (const member of t.committee) {
      const digest = revealed.get(member);
      const mark = t.commits.includes(member)
        ? digest
          ? `revealed ${digest.slice(0, 12)}…`
          : 'committed'
        : 'member';
      const payout = paid.get(member);
      stdout(`  ${member}  ${mark}${payout === undefined ? '' : `  paid ${formatCcd(payout)}`}`);
    }
    return 0;
  },
};

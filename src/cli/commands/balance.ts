import { formatCcd, formatTable } from '../../client/format.ts';
import { readHoldings } from '../../client/holdings.ts';
import { resolveAccounts, resolveChainReader } from '../../client/target.ts';
import type { Command } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** `concord balance [ADDRESS]`: CCD balance and active stake, read from the chain. */
export const balanceCommand: Command = {
  path: ['balance'],
  summary: 'CCD balance and stake of an address (default: every devnet node)',
  usage: ['Usage: concord balance [ADDRESS] [target options]', '', 'Options:', ...targetUsage].join('\n'),
  options: targetOptions,
  positionals: true,
  async run({ values, positionals, stdout }) {
    const flags = targetFlags(values);
    const accounts = resolveAccounts(flags, positionals[0]);
    const holdings = await readHoldings(await resolveChainReader(flags), accounts);
    if (values.json) {
      stdout(
        JSON.stringify(
          holdings.map((h) => ({
            address: h.address,
            balance: h.balance.toString(),
            stake: h.stake.toString(),
          })),
        ),
      );
      return 0;
    }
    const rows = holdings.map((h) => [h.address, formatCcd(h.balance), formatCcd(h.stake)]);
    for (const line of formatTable(['address', 'balance', 'stake'], rows)) stdout(line);
    return 0;
  },
};

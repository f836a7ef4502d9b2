import type { Address } from 'viem';
import { accessCreditsAbi } from '../../../generated/contracts/index.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { sharesOf } from '../../chain/actions/sharesOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { formatTable } from '../../client/format.ts';
import { resolveAccounts, resolveChainReader } from '../../client/target.ts';
import type { Command } from '../command.ts';
import { targetFlags, targetOptions, targetUsage } from './taskTarget.ts';

/** What `credits show` reports per account. */
type CreditsRow = { address: Address; credits: bigint; units: bigint; claimedThisEpoch: boolean };

/** `concord credits show [ADDRESS]`: credits, share units and this epoch's claim of accounts. */
export const creditsShowCommand: Command = {
  path: ['credits', 'show'],
  summary: 'query credits and share units of an address (default: every devnet node)',
  usage: [
    'Usage: concord credits show [ADDRESS] [target options]',
    '',
    'Prints, per account, the credits held, the share units (which earn credits',
    'each epoch) and whether this epoch’s credits were claimed.',
    '',
    'Options:',
    ...targetUsage,
  ].join('\n'),
  options: targetOptions,
  positionals: true,
  async run({ values, positionals, stdout }) {
    const flags = targetFlags(values);
    const accounts = resolveAccounts(flags, positionals[0]);
    const ctx = await resolveChainReader(flags);
    const epoch = await ctx.publicClient.readContract({
      address: ctx.addresses.accessCredits,
      abi: accessCreditsAbi,
      functionName: 'currentEpoch',
    });
    const rows = await Promise.all(accounts.map((a) => readCredits(ctx, a, epoch)));
    if (values.json) {
      stdout(
        JSON.stringify({
          epoch: epoch.toString(),
          accounts: rows.map((r) => ({ ...r, credits: r.credits.toString(), units: r.units.toString() })),
        }),
      );
      return 0;
    }
    stdout(`epoch ${epoch}`);
    const table = rows.map((r) => [
      r.address,
      String(r.credits),
      String(r.units),
      r.claimedThisEpoch ? 'yes' : 'no',
    ]);
    for (const line of formatTable(['address', 'credits', 'share units', 'claimed'], table)) stdout(line);
    return 0;
  },
};

async function readCredits(ctx: ConcordContext, address: Address, epoch: bigint): Promise<CreditsRow> {
  const [credits, units, claimedThisEpoch] = await Promise.all([
    creditsOf(ctx, { account: address }),
    sharesOf(ctx, { account: address }),
    ctx.publicClient.readContract({
      address: ctx.addresses.accessCredits,
      abi: accessCreditsAbi,
      functionName: 'hasClaimed',
      args: [address, epoch],
    }),
  ]);
  return { address, credits, units, claimedThisEpoch };
}

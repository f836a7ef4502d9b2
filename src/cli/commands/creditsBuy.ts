import { buyCredits } from '../../chain/actions/buyCredits.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { formatCcd } from '../../client/format.ts';
import { type Command, UsageError } from '../command.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';

/** `concord credits buy AMOUNT`: buys query credits with CCD; the payment goes to the share holders. */
export const creditsBuyCommand: Command = {
  path: ['credits', 'buy'],
  summary: 'buy query credits with CCD (paid to the share holders)',
  usage: [
    'Usage: concord credits buy AMOUNT [--key FILE] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    'Buys AMOUNT credits at the AccessCredits price (approving the contract once),',
    'and prints the cost and the credits now held. Queries cost credits per token.',
    '',
    'Options:',
    ...signerUsage,
  ].join('\n'),
  options: signerOptions,
  positionals: true,
  async run({ values, positionals, stdout }) {
    const [amount, ...rest] = positionals;
    if (amount === undefined || rest.length > 0 || !/^[1-9][0-9]{0,30}$/.test(amount)) {
      throw new UsageError('concord credits buy takes one AMOUNT: a whole number of credits above 0.', {
        hint: 'Example: concord credits buy 1000',
      });
    }
    const ctx = await resolveSigner(values);
    const { cost, receipt } = await buyCredits(ctx, { credits: BigInt(amount) });
    const held = await creditsOf(ctx);
    const result = {
      account: ctx.account.address,
      bought: amount,
      cost,
      credits: held,
      tx: receipt.transactionHash,
    };
    if (values.json) {
      stdout(JSON.stringify({ ...result, cost: cost.toString(), credits: held.toString() }));
      return 0;
    }
    stdout(`bought ${amount} credits for ${formatCcd(cost)} (tx ${receipt.transactionHash})`);
    stdout(`${ctx.account.address} now holds ${held} credits`);
    return 0;
  },
};

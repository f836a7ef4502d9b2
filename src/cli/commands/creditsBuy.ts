import { buyCredits } from '../../chain/actions/buyCredits.ts';
import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { ChainRevertError } from '../../chain/errors.ts';
import { formatCcd } from '../../client/format.ts';
import { BaseError } from '../../core/errors.ts';
import { type Command, UsageError } from '../command.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';

/** Credits cannot be bought yet: the payment goes to share holders, and no task has minted shares. */
export class NoShareHoldersError extends BaseError {
  override name = 'NoShareHoldersError';
}

/** `concord credits buy AMOUNT`: buys query credits with CCD; the payment goes to the share holders. */
export const creditsBuyCommand: Command = {
  path: ['credits', 'buy'],
  summary: 'buy query credits with CCD (paid to the share holders)',
  usage: [
    'Usage: concord credits buy AMOUNT [--key FILE] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    'Buys AMOUNT credits at the AccessCredits price (approving the contract once),',
    'and prints the cost and the credits now held. Queries cost credits per token.',
    'The payment is shared among the holders of shares, which settled tasks mint:',
    'on a new network, buying fails (NoShareHoldersError) until the first task settles.',
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
    const { cost, receipt } = await buyCredits(ctx, { credits: BigInt(amount) }).catch((err: unknown) => {
      if (err instanceof ChainRevertError && err.errorName === 'CreditsNoHolders') {
        throw new NoShareHoldersError(
          'No one holds shares yet, so there is no one to pay for credits (AccessCredits reverted with CreditsNoHolders).',
          {
            hint: 'Shares are minted when tasks settle: run a task first (`concord task create`), then buy credits.',
            cause: err,
          },
        );
      }
      throw err;
    });
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

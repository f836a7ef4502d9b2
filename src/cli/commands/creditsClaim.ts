import { claimEpochCredits } from '../../chain/actions/claimEpochCredits.ts';
import type { Command } from '../command.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';

/** `concord credits claim`: a share holder's credits for the current epoch. */
export const creditsClaimCommand: Command = {
  path: ['credits', 'claim'],
  summary: "claim this epoch's query credits for the shares you hold",
  usage: [
    'Usage: concord credits claim [--key FILE] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    "Claims the signer's credits for the current epoch, in proportion to its share",
    "units at the epoch's snapshot block. Once per epoch.",
    '',
    'Options:',
    ...signerUsage,
  ].join('\n'),
  options: signerOptions,
  async run({ values, stdout }) {
    const ctx = await resolveSigner(values);
    const { epoch, credits, receipt } = await claimEpochCredits(ctx);
    if (values.json) {
      stdout(
        JSON.stringify({
          account: ctx.account.address,
          epoch: epoch.toString(),
          credits: credits.toString(),
          tx: receipt.transactionHash,
        }),
      );
      return 0;
    }
    stdout(
      `${ctx.account.address} claimed ${credits} credits for epoch ${epoch} (tx ${receipt.transactionHash})`,
    );
    return 0;
  },
};

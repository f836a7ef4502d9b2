import type { Command } from '../command.ts';

/** A subcommand's words and how to load it: a run loads only its own command's modules. */
export type CommandEntry = {
  /** The words that select it (the loaded command's `path`). */
  readonly path: readonly string[];
  /** Imports the command's file. */
  load(): Promise<Command>;
};

const entry = (words: string, load: () => Promise<Command>): CommandEntry => ({
  path: words.split(' '),
  load,
});

/**
 * Every `concord` subcommand. Each lives in its own file beside this one;
 * add it to this list to make it reachable. Commands load on use, so a
 * quick command does not pay for the node's libraries (libp2p, fastify).
 */
export const commands: readonly CommandEntry[] = [
  entry('chain up', async () => (await import('./chainUp.ts')).chainUpCommand),
  entry('chain down', async () => (await import('./chainDown.ts')).chainDownCommand),
  entry('chain deploy', async () => (await import('./chainDeploy.ts')).chainDeployCommand),
  entry('fund', async () => (await import('./fund.ts')).fundCommand),
  entry('node start', async () => (await import('./nodeStart.ts')).nodeStartCommand),
  entry('node status', async () => (await import('./nodeStatus.ts')).nodeStatusCommand),
  entry('node keys', async () => (await import('./nodeKeys.ts')).nodeKeysCommand),
  entry('devnet', async () => (await import('./devnet.ts')).devnetCommand),
  entry('devnet down', async () => (await import('./devnetDown.ts')).devnetDownCommand),
  entry('task create', async () => (await import('./taskCreate.ts')).taskCreateCommand),
  entry('task list', async () => (await import('./taskList.ts')).taskListCommand),
  entry('task show', async () => (await import('./taskShow.ts')).taskShowCommand),
  entry('balance', async () => (await import('./balance.ts')).balanceCommand),
  entry('shares', async () => (await import('./shares.ts')).sharesCommand),
  entry('model list', async () => (await import('./modelList.ts')).modelListCommand),
  entry('model show', async () => (await import('./modelShow.ts')).modelShowCommand),
  entry('model create', async () => (await import('./modelCreate.ts')).modelCreateCommand),
  entry('model publish', async () => (await import('./modelPublish.ts')).modelPublishCommand),
  entry('model versions', async () => (await import('./modelVersions.ts')).modelVersionsCommand),
  entry('train', async () => (await import('./train.ts')).trainCommand),
  entry('credits buy', async () => (await import('./creditsBuy.ts')).creditsBuyCommand),
  entry('credits show', async () => (await import('./creditsShow.ts')).creditsShowCommand),
  entry('credits claim', async () => (await import('./creditsClaim.ts')).creditsClaimCommand),
  entry('ask', async () => (await import('./ask.ts')).askCommand),
  entry('embed', async () => (await import('./embed.ts')).embedCommand),
];

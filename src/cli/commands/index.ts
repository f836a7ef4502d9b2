import type { Command } from '../command.ts';
import { askCommand } from './ask.ts';
import { balanceCommand } from './balance.ts';
import { chainDeployCommand } from './chainDeploy.ts';
import { chainDownCommand } from './chainDown.ts';
import { chainUpCommand } from './chainUp.ts';
import { creditsBuyCommand } from './creditsBuy.ts';
import { creditsClaimCommand } from './creditsClaim.ts';
import { creditsShowCommand } from './creditsShow.ts';
import { devnetCommand } from './devnet.ts';
import { devnetDownCommand } from './devnetDown.ts';
import { embedCommand } from './embed.ts';
import { fundCommand } from './fund.ts';
import { modelCreateCommand } from './modelCreate.ts';
import { modelListCommand } from './modelList.ts';
import { modelPublishCommand } from './modelPublish.ts';
import { modelShowCommand } from './modelShow.ts';
import { modelVersionsCommand } from './modelVersions.ts';
import { nodeKeysCommand } from './nodeKeys.ts';
import { nodeStartCommand } from './nodeStart.ts';
import { nodeStatusCommand } from './nodeStatus.ts';
import { sharesCommand } from './shares.ts';
import { taskCreateCommand } from './taskCreate.ts';
import { taskListCommand } from './taskList.ts';
import { taskShowCommand } from './taskShow.ts';
import { trainCommand } from './train.ts';

/**
 * Every `concord` subcommand. Each lives in its own file beside this one;
 * add it to this list to make it reachable.
 */
export const commands: readonly Command[] = [
  chainUpCommand,
  chainDownCommand,
  chainDeployCommand,
  fundCommand,
  nodeStartCommand,
  nodeStatusCommand,
  nodeKeysCommand,
  devnetCommand,
  devnetDownCommand,
  taskCreateCommand,
  taskListCommand,
  taskShowCommand,
  balanceCommand,
  sharesCommand,
  modelListCommand,
  modelShowCommand,
  modelCreateCommand,
  modelPublishCommand,
  modelVersionsCommand,
  trainCommand,
  creditsBuyCommand,
  creditsShowCommand,
  creditsClaimCommand,
  askCommand,
  embedCommand,
];

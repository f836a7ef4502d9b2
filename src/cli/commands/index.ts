import type { Command } from '../command.ts';
import { chainDownCommand } from './chainDown.ts';
import { chainUpCommand } from './chainUp.ts';
import { nodeStartCommand } from './nodeStart.ts';
import { nodeStatusCommand } from './nodeStatus.ts';

/**
 * Every `concord` subcommand. Each lives in its own file beside this one;
 * add it to this list to make it reachable.
 */
export const commands: readonly Command[] = [
  chainUpCommand,
  chainDownCommand,
  nodeStartCommand,
  nodeStatusCommand,
];

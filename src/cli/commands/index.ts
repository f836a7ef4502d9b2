import type { Command } from '../command.ts';

/**
 * Every `concord` subcommand. Each lives in its own file beside this one;
 * add it to this list to make it reachable.
 */
export const commands: readonly Command[] = [];

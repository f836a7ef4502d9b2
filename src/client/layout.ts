import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Address } from 'viem';
import { DevnetNotFoundError } from './errors.ts';

/** Where `concord devnet` keeps everything unless told otherwise. */
export const DEFAULT_DEVNET_DIR = '.concord/devnet';

/** The files and folders of one devnet directory. */
export type DevnetLayout = {
  dir: string;
  /** anvil state, log, pid and `deployment.json` (a `concord chain up` directory). */
  chainDir: string;
  /** `devnet.json`: what runs, for `devnet down` and the CLI's defaults. */
  stateFile: string;
  /** Data directory of node `i`. */
  nodeDir(i: number): string;
  /** EVM key file (dev account `i + 1`) of node `i`. */
  keyFile(i: number): string;
  /** stdout and stderr of node `i`. */
  logFile(i: number): string;
};

/** The layout of the devnet directory `dir`. */
export function devnetLayout(dir = DEFAULT_DEVNET_DIR): DevnetLayout {
  const root = resolve(dir);
  return {
    dir: root,
    chainDir: join(root, 'chain'),
    stateFile: join(root, 'devnet.json'),
    nodeDir: (i) => join(root, `node${i}`),
    keyFile: (i) => join(root, `node${i}`, 'evm.key'),
    logFile: (i) => join(root, `node${i}`, 'node.log'),
  };
}

/** One node of a running devnet, as recorded in `devnet.json`. */
export type DevnetNodeRecord = {
  index: number;
  pid: number;
  address: Address;
  peerId: string;
  apiUrl: string;
  multiaddrs: string[];
  dataDir: string;
};

/** The content of `devnet.json`. */
export type DevnetState = {
  rpcUrl: string;
  chainId: number;
  anvilPid: number;
  deploymentFile: string;
  nodes: DevnetNodeRecord[];
};

/** Writes `devnet.json`. */
export function writeDevnetState(layout: DevnetLayout, state: DevnetState): void {
  writeFileSync(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Reads `devnet.json`; throws `DevnetNotFoundError` when there is none. */
export function readDevnetState(layout: DevnetLayout): DevnetState {
  if (!existsSync(layout.stateFile)) {
    throw new DevnetNotFoundError(`No devnet in ${layout.dir} (no devnet.json).`, {
      hint: 'Start one with `concord devnet --detach`, or pass the --dir it was started with.',
    });
  }
  return JSON.parse(readFileSync(layout.stateFile, 'utf8')) as DevnetState;
}

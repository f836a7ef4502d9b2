import type { DevnetState } from '../client/layout.ts';
import { isDevnetNodeRunning } from './stopDevnet.ts';

/**
 * Listens for SIGINT and SIGTERM from now on, for the rest of the process:
 * the promise resolves with the first signal's name; later ones (a second
 * Ctrl-C while stopping) go to `report` instead of killing the process.
 */
export function firstSignal(report: (line: string) => void): Promise<string> {
  return new Promise<string>((resolve) => {
    let first: string | undefined;
    const onSignal = (signal: string) => {
      if (first !== undefined) {
        report(`${signal}: still stopping the devnet, one moment`);
        return;
      }
      first = signal;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Keeps the devnet's foreground process alive until `signal` resolves,
 * checking every `intervalMs` that each node still runs and reporting a
 * node that died (once). Resolves with the signal's name.
 */
export async function serveUntil(
  signal: Promise<string>,
  state: DevnetState,
  report: (line: string) => void,
  intervalMs = 2000,
): Promise<string> {
  const dead = new Set<number>();
  const watch = setInterval(() => {
    for (const node of state.nodes) {
      if (dead.has(node.index) || isDevnetNodeRunning(node)) continue;
      dead.add(node.index);
      report(`node ${node.index} (pid ${node.pid}) has stopped; see ${node.dataDir}/node.log`);
    }
  }, intervalMs);
  try {
    return await signal;
  } finally {
    clearInterval(watch);
  }
}

import { holdingsJson, readHoldings } from '../../devnet/accounts.ts';
import { createDemoMatvecTask, followTask, formatProgress } from '../../devnet/demo.ts';
import { formatCcd, formatTable } from '../../devnet/format.ts';
import {
  DEFAULT_DEVNET_DIR,
  type DevnetLayout,
  type DevnetState,
  devnetLayout,
} from '../../devnet/layout.ts';
import { firstSignal, serveUntil } from '../../devnet/serveUntilSignal.ts';
import { MAX_DEVNET_NODES, startDevnet } from '../../devnet/startDevnet.ts';
import { stopDevnet } from '../../devnet/stopDevnet.ts';
import { resolveNode } from '../../devnet/target.ts';
import { type Command, UsageError } from '../command.ts';

/** `concord devnet`: a whole local network in one command. */
export const devnetCommand: Command = {
  path: ['devnet'],
  summary: 'start a local network: anvil, contracts, N nodes, and a demo task round',
  usage: [
    'Usage: concord devnet [--nodes N] [--dir D] [--detach] [--no-demo] [--json]',
    '',
    'Starts anvil with the Concord contracts, funds dev accounts 1..N, starts N',
    '`concord node start` processes on 127.0.0.1 (each registers and stakes',
    'itself; node 0 is the bootstrap peer), runs a demo `matvec` task through',
    'created → committed → revealed → finalized → claimed, and prints balances,',
    'stake and shares per node with their API URLs. Then it serves until',
    'Ctrl-C, which stops every node and anvil. Started again with the same',
    'D it resumes the chain and the node data.',
    '',
    'Options:',
    `  --nodes N   number of nodes, 1..${MAX_DEVNET_NODES} (default 4)`,
    `  --dir D     state directory (default ${DEFAULT_DEVNET_DIR})`,
    '  --detach    leave the network running and return; stop it with `concord devnet down`',
    '  --no-demo   skip the demo task',
    '  --json      print one JSON object instead of text',
  ].join('\n'),
  options: {
    nodes: { type: 'string' },
    dir: { type: 'string' },
    detach: { type: 'boolean' },
    'no-demo': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, stdout }) {
    const nodes = values.nodes === undefined ? 4 : Number(values.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_DEVNET_NODES) {
      throw new UsageError(
        `--nodes must be an integer 1..${MAX_DEVNET_NODES}, got '${String(values.nodes)}'.`,
      );
    }
    const dir = typeof values.dir === 'string' ? values.dir : undefined;
    const layout = devnetLayout(dir);
    const say = values.json === true ? () => undefined : stdout;
    const options: BringUpOptions = {
      nodes,
      layout,
      demo: values['no-demo'] !== true,
      json: values.json === true,
    };
    if (values.detach === true) {
      await bringUp(options, stdout);
      say(`detached: stop it with \`concord devnet down${dir === undefined ? '' : ` --dir ${dir}`}\``);
      return 0;
    }
    // In the foreground, Ctrl-C during bring-up or a failed demo must not leave detached nodes behind.
    const signal = firstSignal(stdout);
    let serving = false;
    void signal.then(async () => {
      if (serving) return;
      await stopDevnet(layout);
      process.exit(130);
    });
    let state: DevnetState;
    try {
      state = await bringUp(options, stdout);
    } catch (err) {
      await stopDevnet(layout);
      throw err;
    }
    serving = true;
    say('serving; press Ctrl-C to stop the nodes and the chain');
    const received = await serveUntil(signal, state, stdout);
    const stopped = await stopDevnet(layout);
    say(`${received}: stopped ${stopped.nodes} nodes and ${stopped.chain ? 'the chain' : 'no chain'}`);
    return 0;
  },
};

type BringUpOptions = { nodes: number; layout: DevnetLayout; demo: boolean; json: boolean };

/** Starts (or finds) the devnet, runs the demo task, and prints the summary; returns the devnet state. */
async function bringUp(options: BringUpOptions, stdout: (line: string) => void): Promise<DevnetState> {
  const { json } = options;
  const say = json ? () => undefined : stdout;
  const started = Date.now();
  const devnet = await startDevnet({ nodes: options.nodes, dir: options.layout.dir, log: say });
  const { layout, state, deployer } = devnet;
  const upSeconds = (Date.now() - started) / 1000;
  say(
    devnet.alreadyRunning
      ? `devnet already running in ${layout.dir}`
      : `devnet up in ${upSeconds.toFixed(1)} s (${devnet.resumed ? 'resumed' : 'new'}) in ${layout.dir}`,
  );
  let demo: Record<string, unknown> | null = null;
  if (options.demo) {
    const node = resolveNode({ dir: layout.dir });
    const taskId = await createDemoMatvecTask(node, state.nodes.length);
    say(`demo: matvec task ${taskId} created by node 0`);
    const view = await followTask(node, deployer, taskId, (p) => say(formatProgress(p)));
    say(`demo: task ${taskId} ${view.state}, winner ${view.winner ?? '-'}`);
    demo = {
      taskId,
      state: view.state,
      winner: view.winner,
      committee: view.committee,
      reveals: view.reveals,
      payouts: view.payouts,
    };
  }
  const holdings = await readHoldings(
    deployer,
    state.nodes.map((n) => n.address),
  );
  if (json) {
    stdout(
      JSON.stringify({
        dir: layout.dir,
        rpcUrl: state.rpcUrl,
        chainId: state.chainId,
        upSeconds,
        resumed: devnet.resumed,
        alreadyRunning: devnet.alreadyRunning,
        nodes: state.nodes.map((n, i) => ({
          index: n.index,
          pid: n.pid,
          peerId: n.peerId,
          apiUrl: n.apiUrl,
          dashboardUrl: `${n.apiUrl}/`,
          ...(holdings[i] ? holdingsJson(holdings[i]) : {}),
        })),
        demo,
      }),
    );
  } else {
    const rows = state.nodes.map((n, i) => {
      const h = holdings[i];
      return [
        String(n.index),
        n.address,
        h ? formatCcd(h.balance) : '-',
        h ? formatCcd(h.stake) : '-',
        h ? h.shares.toString() : '-',
        n.apiUrl,
      ];
    });
    for (const line of formatTable(
      ['node', 'address', 'balance', 'stake', 'shares', 'api / dashboard'],
      rows,
    ))
      stdout(line);
    stdout(`chain    ${state.rpcUrl}`);
  }
  return state;
}

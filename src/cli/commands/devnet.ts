import { creditsOf } from '../../chain/actions/creditsOf.ts';
import { formatCcd, formatTable } from '../../client/format.ts';
import { holdingsJson, readHoldings } from '../../client/holdings.ts';
import {
  DEFAULT_DEVNET_DIR,
  type DevnetLayout,
  type DevnetState,
  devnetLayout,
} from '../../client/layout.ts';
import { type ProgressSink, SILENT_SINK } from '../../client/progressBar.ts';
import { runDevnetDemo } from '../../devnet/devnetDemo.ts';
import { firstSignal, serveUntil } from '../../devnet/serveUntilSignal.ts';
import { DEFAULT_DEVNET_REPLICAS, MAX_DEVNET_NODES, startDevnet } from '../../devnet/startDevnet.ts';
import { stopDevnet } from '../../devnet/stopDevnet.ts';
import { type Command, UsageError } from '../command.ts';

/** `concord devnet`: a whole local network in one command. */
export const devnetCommand: Command = {
  path: ['devnet'],
  summary: 'start a local network: anvil, contracts, N nodes, a training round and a streamed answer',
  usage: [
    'Usage: concord devnet [--nodes N] [--replicas R] [--dir D] [--detach] [--no-demo] [--json]',
    '',
    'Starts anvil with the Concord contracts, funds dev accounts 1..N, starts N',
    '`concord node start` processes on 127.0.0.1 (each registers and stakes',
    'itself; node 0 is the bootstrap peer). Then the demo: registers the shipped',
    'model `concord-char` (first run), runs one training round through the',
    'network (min(N, 4) `gradient` tasks and an AdamW `aggregate` step, with a',
    'progress bar per stage; `concord train` runs such rounds on any model),',
    'publishes the new version, and streams an answer',
    'to a prompt from node 1 by distributed inference. It prints balances, stake,',
    'shares and credits per node with their dashboard URLs, then serves until',
    'Ctrl-C, which stops every node and anvil. Started again with the same D it',
    'resumes the chain and the node data.',
    '',
    'Options:',
    `  --nodes N      number of nodes, 1..${MAX_DEVNET_NODES} (default 4)`,
    `  --replicas R   hosts per shard of the served model (default ${DEFAULT_DEVNET_REPLICAS}, at most N)`,
    `  --dir D        state directory (default ${DEFAULT_DEVNET_DIR})`,
    '  --detach       leave the network running and return; stop it with `concord devnet down`',
    '  --no-demo      skip the training round and the answer',
    '  --json         print one JSON object instead of text',
  ].join('\n'),
  options: {
    nodes: { type: 'string' },
    replicas: { type: 'string' },
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
    const replicas = values.replicas === undefined ? DEFAULT_DEVNET_REPLICAS : Number(values.replicas);
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new UsageError(`--replicas must be a positive integer, got '${String(values.replicas)}'.`);
    }
    const dir = typeof values.dir === 'string' ? values.dir : undefined;
    const layout = devnetLayout(dir);
    const say = values.json === true ? () => undefined : stdout;
    const options: BringUpOptions = {
      nodes,
      replicas,
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

type BringUpOptions = { nodes: number; replicas: number; layout: DevnetLayout; demo: boolean; json: boolean };

/** Progress bars and streamed tokens go straight to the terminal (redrawn in place on a TTY). */
const terminal: ProgressSink = {
  isTTY: process.stdout.isTTY === true,
  write: (text) => process.stdout.write(text),
};

/** Starts (or finds) the devnet, runs the demo, and prints the summary; returns the devnet state. */
async function bringUp(options: BringUpOptions, stdout: (line: string) => void): Promise<DevnetState> {
  const { json } = options;
  const say = json ? () => undefined : stdout;
  const started = Date.now();
  const devnet = await startDevnet({
    nodes: options.nodes,
    replicas: options.replicas,
    dir: options.layout.dir,
    log: say,
  });
  const { layout, state, deployer } = devnet;
  const upSeconds = (Date.now() - started) / 1000;
  say(
    devnet.alreadyRunning
      ? `devnet already running in ${layout.dir}`
      : `devnet up in ${upSeconds.toFixed(1)} s (${devnet.resumed ? 'resumed' : 'new'}) in ${layout.dir}`,
  );
  const demo = options.demo
    ? await runDevnetDemo(devnet, { sink: json ? SILENT_SINK : terminal, say })
    : null;
  const addresses = state.nodes.map((n) => n.address);
  const [holdings, credits] = await Promise.all([
    readHoldings(deployer, addresses),
    Promise.all(addresses.map((account) => creditsOf(deployer, { account }))),
  ]);
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
          credits: (credits[i] ?? 0n).toString(),
        })),
        model: demo?.model ?? null,
        training: demo?.training ?? null,
        answer: demo?.answer ?? null,
        answerError: demo?.answerError ? `${demo.answerError.name}: ${demo.answerError.message}` : null,
        demoSeconds: demo?.seconds ?? null,
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
        (credits[i] ?? 0n).toString(),
        `${n.apiUrl}/`,
      ];
    });
    for (const line of formatTable(
      ['node', 'address', 'balance', 'stake', 'shares', 'credits', 'dashboard'],
      rows,
    ))
      stdout(line);
    stdout(`chain    ${state.rpcUrl}`);
  }
  // The summary above is printed either way; a devnet that cannot answer has still failed.
  if (demo?.answerError) throw demo.answerError;
  return state;
}

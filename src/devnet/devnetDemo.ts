import type { Hex } from 'viem';
import { NodeClient } from '../client/nodeClient.ts';
import type { ProgressSink } from '../client/progressBar.ts';
import { resolveNode } from '../client/target.ts';
import type { TaskView } from '../node/api/types.ts';
import { askDemo, DEMO_PROMPT, type DemoAnswer, waitForModelReady } from './askDemo.ts';
import { ensureGenesisModel, SHIPPED_MODEL_NAME, shippedTokenizer } from './genesis.ts';
import { type Devnet, nodeContext } from './startDevnet.ts';
import { runDevnetRound } from './trainingRound.ts';

/** A task of the round as `--json` reports it. */
export type DemoTaskJson = Pick<TaskView, 'id' | 'state' | 'winner' | 'committee' | 'reveals' | 'payouts'>;

/** What the demo did, for the summary and `--json` (amounts and ids as decimal strings). */
export type DevnetDemoResult = {
  model: { id: string; name: string; version: string; digest: Hex; created: boolean };
  training: {
    pool: Hex;
    baseVersion: string;
    trainTasks: DemoTaskJson[];
    aggregateTask: DemoTaskJson;
    publishTx: Hex;
  };
  /** The streamed answer, or null when it failed (see `answerError`). */
  answer: DemoAnswer | null;
  /** Why there is no answer (the model not served in time, the gateway refused, ...); the caller reports it. */
  answerError: Error | null;
  /** Wall-clock seconds of each part (for the docs' figures; never asserted on). */
  seconds: { training: number; ready: number | null; firstToken: number | null; answer: number | null };
};

/** Where the demo reports: progress bars and streamed tokens on `sink`, whole lines through `say`. */
export type DevnetDemoOptions = { sink: ProgressSink; say: (line: string) => void };

/**
 * The devnet's demo: registers the shipped model (first run), trains one
 * round through the network and publishes it, waits until node 1 (node 0 on
 * a one-node devnet) serves the new version, and streams its answer to the
 * demo prompt, paid by node 0 as the querier.
 */
export async function runDevnetDemo(devnet: Devnet, options: DevnetDemoOptions): Promise<DevnetDemoResult> {
  const { sink, say } = options;
  const { state, deployer } = devnet;
  const node = resolveNode({ dir: devnet.layout.dir });
  const genesis = await ensureGenesisModel(deployer, node);
  say(
    genesis.created
      ? `model    ${SHIPPED_MODEL_NAME} registered as model ${genesis.modelId} (genesis ${genesis.genesisDigest})`
      : `model    ${SHIPPED_MODEL_NAME} is model ${genesis.modelId} (resumed)`,
  );
  const mark = Date.now();
  const round = await runDevnetRound({
    node,
    nodeAccount: state.nodes[0]!.address,
    owner: deployer,
    modelId: genesis.modelId,
    nodes: state.nodes.length,
    tokenizer: shippedTokenizer(),
    sink,
  });
  const training = (Date.now() - mark) / 1000;
  const seconds: DevnetDemoResult['seconds'] = { training, ready: null, firstToken: null, answer: null };
  let answer: DemoAnswer | null = null;
  let answerError: Error | null = null;
  try {
    answer = await streamAnswer(devnet, round.version.index, options, seconds);
  } catch (err) {
    answerError = err as Error;
  }
  return {
    model: {
      id: genesis.modelId.toString(),
      name: SHIPPED_MODEL_NAME,
      version: round.version.index.toString(),
      digest: round.version.digest,
      created: genesis.created,
    },
    training: {
      pool: round.pool,
      baseVersion: round.base.index.toString(),
      trainTasks: round.trainTasks.map(taskJson),
      aggregateTask: taskJson(round.aggregateTask),
      publishTx: round.version.txHash,
    },
    answer,
    answerError,
    seconds,
  };
}

/**
 * Waits until node 1 (node 0 on a one-node devnet) serves `version`, then
 * streams its answer to the demo prompt, paid by node 0, to the sink.
 */
async function streamAnswer(
  devnet: Devnet,
  version: bigint,
  { sink, say }: DevnetDemoOptions,
  seconds: DevnetDemoResult['seconds'],
): Promise<DemoAnswer> {
  const { nodes } = devnet.state;
  const record = nodes[Math.min(1, nodes.length - 1)] as (typeof nodes)[number];
  const gateway = new NodeClient(record.apiUrl);
  say(`serve    waiting for every node to serve version ${version} (node ${record.index} is the gateway)`);
  let mark = Date.now();
  // Every host, not only the gateway: a host still on the previous version would answer
  // with that version's weights, be outvoted and be slashed (see docs/devnet.md).
  const [model] = await Promise.all([
    waitForModelReady(gateway, SHIPPED_MODEL_NAME, version),
    ...nodes
      .filter((n) => n !== record)
      .map((n) => waitForModelReady(new NodeClient(n.apiUrl), SHIPPED_MODEL_NAME, version)),
  ]);
  seconds.ready = (Date.now() - mark) / 1000;
  say(
    `serve    ready in ${seconds.ready.toFixed(1)} s: ${model.concord.replicas} replica(s) per shard on ${model.concord.hosts.length} hosts`,
  );
  mark = Date.now();
  sink.write(`answer   ${DEMO_PROMPT}`);
  const answer = await askDemo({
    gateway,
    model,
    querier: await nodeContext(devnet, 0),
    onToken: (text) => {
      seconds.firstToken ??= (Date.now() - mark) / 1000;
      sink.write(text);
    },
  });
  sink.write('\n');
  seconds.answer = (Date.now() - mark) / 1000;
  say(settlementLine(answer));
  return answer;
}

/** `settled: 48 tokens, 48 credits from 0x… (tx 0x…), 1 host slashed` or why it was not. */
export function settlementLine(answer: DemoAnswer): string {
  const s = answer.settlement;
  if (s === null) {
    return `settle   not settled${answer.settlementError ? `: ${answer.settlementError}` : ''} (session ${answer.session ?? '-'})`;
  }
  const slashed = s.slashed.length === 0 ? 'no host slashed' : `${s.slashed.length} host(s) slashed`;
  return `settle   ${answer.tokens} tokens, ${s.credits} credits debited from ${answer.querier} (tx ${s.txHash}), ${slashed}`;
}

function taskJson(view: TaskView): DemoTaskJson {
  const { id, state, winner, committee, reveals, payouts } = view;
  return { id, state, winner, committee, reveals, payouts };
}

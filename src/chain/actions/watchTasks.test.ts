import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import {
  createPublicClient,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  keccak256,
  maxUint256,
  toHex,
} from 'viem';
import { taskMarketAbi } from '../../../generated/contracts/index.ts';
import { freePort } from '../anvil.ts';
import { type DevChain, startDevChain } from '../devChain.ts';
import { mineBlocks, rawTransaction, reorg, revertToSnapshot, snapshot } from '../devRpc.ts';
import { type TaskParams, taskKindId, toTaskParamsStruct } from '../taskTypes.ts';
import { formatCursor, parseCursor } from '../watchCursor.ts';
import { approve } from './approve.ts';
import { createTask } from './createTask.ts';
import {
  type ReorgReport,
  type TaskMarketEvent,
  type WatchTasksParameters,
  watchTasks,
} from './watchTasks.ts';

// Reorgs on a real anvil (automine: every transaction mines a block), one scenario after another.
let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 0 });
  await approve(dev.deployer, { spender: dev.deployer.addresses.taskMarket, amount: maxUint256 });
});
const watchers: ReturnType<typeof watchTasks>[] = [];
const proxies: Server[] = [];
after(async () => {
  for (const w of watchers) w.stop();
  for (const p of proxies) {
    p.closeAllConnections();
    p.close();
  }
  await dev?.stop();
});

async function params(label: string): Promise<TaskParams> {
  const now = (await dev.deployer.publicClient.getBlock()).timestamp;
  return {
    kind: taskKindId('matvec'),
    specDigest: keccak256(toHex(label)),
    baseReward: 10n ** 18n,
    bond: 10n ** 17n,
    stakeSlash: 10n ** 18n,
    maxParticipants: 3,
    quorum: 2,
    committeeSize: 3,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
  };
}

/** A createTask transaction for anvil to sign and put into a replacement block. */
async function createTaskTx(label: string) {
  const data = encodeFunctionData({
    abi: taskMarketAbi,
    functionName: 'createTask',
    args: [toTaskParamsStruct(await params(label))],
  });
  return {
    from: dev.deployer.account.address,
    to: dev.deployer.addresses.taskMarket,
    data,
    gas: toHex(2_000_000),
  };
}

type Following = {
  events: TaskMarketEvent[];
  errors: unknown[];
  reorgs: ReorgReport[];
  watcher: ReturnType<typeof watchTasks>;
  /** Resolves once `ok()` holds (checked every 20 ms); rejects after `ms`. */
  until: (what: string, ok: () => boolean, ms?: number) => Promise<void>;
  created: (label: string) => TaskMarketEvent[];
};

function follow(
  options: Partial<WatchTasksParameters> = {},
  ctx: Parameters<typeof watchTasks>[0] = dev.deployer,
): Following {
  const events: TaskMarketEvent[] = [];
  const errors: unknown[] = [];
  const reorgs: ReorgReport[] = [];
  const watcher = watchTasks(ctx, {
    pollingInterval: 20,
    ...options,
    onEvents: (batch) => void events.push(...batch),
    onReorg: (r) => void reorgs.push(r),
    onError: (err) => void errors.push(err),
  });
  watchers.push(watcher);
  const until = async (what: string, ok: () => boolean, ms = 8000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) {
        watcher.stop();
        assert.fail(`timed out waiting for ${what}; errors: ${errors.map(String).join('; ')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const created = (label: string) =>
    events.filter((e) => e.eventName === 'TaskCreated' && e.args.specDigest === keccak256(toHex(label)));
  return { events, errors, reorgs, watcher, until, created };
}

const head = async () => await dev.deployer.publicClient.getBlockNumber();
const hashOf = async (blockNumber: bigint): Promise<Hash> =>
  (await dev.deployer.publicClient.getBlock({ blockNumber })).hash;
/** Waits until the watcher has covered the chain's head. */
const caughtUp = async (f: Following) => {
  const h = await head();
  await f.until(`the watcher to reach block ${h}`, () => f.watcher.nextBlock() > h);
};

test('a task created only in a replacement block below the watcher is delivered', async () => {
  const f = follow({ fromBlock: await head() });
  await caughtUp(f); // the window holds the block before the creation: the common ancestor
  const { receipt } = await createTask(dev.deployer, await params('dropped'));
  await mineBlocks(dev.deployer, 2);
  await caughtUp(f);
  assert.equal(f.created('dropped').length, 1);
  // Replace the creation's block and the two after it; a different creation lands in the second new block.
  await reorg(dev.deployer, 3, [[await createTaskTx('replacement'), 1]]);
  await f.until('the replacement creation', () => f.created('replacement').length > 0);
  f.watcher.stop();
  const [event] = f.created('replacement');
  assert.equal(event!.blockNumber, receipt.blockNumber + 1n);
  assert.equal(event!.blockHash, await hashOf(receipt.blockNumber + 1n));
  assert.deepEqual(f.reorgs, [{ depth: 3, fromBlock: receipt.blockNumber, beyondWindow: false }]);
  assert.deepEqual(f.errors, []);
});

test('an event whose block was dropped is delivered again where it is re-included', async () => {
  const f = follow({ fromBlock: (await head()) + 1n });
  const { receipt } = await createTask(dev.deployer, await params('moved'));
  await mineBlocks(dev.deployer, 1);
  await caughtUp(f);
  const raw = await rawTransaction(dev.deployer, receipt.transactionHash);
  await reorg(dev.deployer, 2, [[raw, 1]]);
  await f.until('the re-included creation', () => f.created('moved').length === 2);
  f.watcher.stop();
  const [first, again] = f.created('moved');
  assert.equal(first!.blockNumber, receipt.blockNumber);
  assert.equal(again!.transactionHash, receipt.transactionHash);
  assert.equal(again!.blockNumber, receipt.blockNumber + 1n);
  assert.equal(again!.blockHash, await hashOf(receipt.blockNumber + 1n));
  assert.equal(f.reorgs.length, 1);
  assert.deepEqual(f.errors, []);
});

test('a head that moves back below the watcher loses no event and reports no error', async () => {
  const f = follow({ fromBlock: (await head()) + 1n, pollingInterval: 5 });
  const saved = await snapshot(dev.deployer);
  const { receipt } = await createTask(dev.deployer, await params('reverted'));
  await mineBlocks(dev.deployer, 3);
  await caughtUp(f);
  const passed = f.watcher.nextBlock();
  await revertToSnapshot(dev.deployer, saved); // the head is now 4 blocks below the watcher's next block
  const { receipt: lower } = await createTask(dev.deployer, await params('lower'));
  assert.ok(lower.blockNumber < passed - 1n);
  await f.until('the creation at the lower height', () => f.created('lower').length > 0);
  f.watcher.stop();
  assert.equal(f.created('lower')[0]!.blockHash, lower.blockHash);
  assert.equal(f.created('reverted').length, 1);
  assert.equal(f.reorgs.length, 1);
  assert.equal(f.reorgs[0]!.fromBlock, receipt.blockNumber);
  assert.deepEqual(f.errors, []);
});

test('a watcher restarted from a cursor whose block was replaced meanwhile re-scans the new branch', async () => {
  const first = follow({ fromBlock: await head() });
  await caughtUp(first);
  const { receipt } = await createTask(dev.deployer, await params('before restart'));
  await caughtUp(first);
  first.watcher.stop();
  const saved = formatCursor(first.watcher.cursor());
  const savedNext = first.watcher.nextBlock();
  assert.equal(first.watcher.cursor().at(-1)!.hash, receipt.blockHash);
  await reorg(dev.deployer, 1, [[await createTaskTx('while stopped'), 0]]);
  const second = follow({ fromBlock: savedNext, cursor: parseCursor(saved) });
  await second.until('the creation made while stopped', () => second.created('while stopped').length > 0);
  second.watcher.stop();
  assert.equal(second.created('while stopped')[0]!.blockNumber, receipt.blockNumber);
  assert.deepEqual(second.reorgs, [{ depth: 1, fromBlock: receipt.blockNumber, beyondWindow: false }]);
  assert.deepEqual(second.errors, []);
});

test('a reorg deeper than the window re-scans the whole window and says so', async () => {
  const f = follow({ fromBlock: (await head()) + 1n, window: 2 });
  const { receipt } = await createTask(dev.deployer, await params('deep'));
  await mineBlocks(dev.deployer, 4);
  await caughtUp(f);
  const covered = f.watcher.cursor();
  assert.equal(covered.length, 2);
  await reorg(dev.deployer, 5, [[await createTaskTx('deep replacement'), 4]]);
  await f.until('the deep replacement', () => f.created('deep replacement').length > 0);
  f.watcher.stop();
  assert.equal(f.created('deep replacement')[0]!.blockNumber, receipt.blockNumber + 4n);
  assert.deepEqual(f.reorgs, [
    {
      depth: Number(covered[1]!.number - covered[0]!.number + 1n),
      fromBlock: covered[0]!.number,
      beyondWindow: true,
    },
  ]);
});

type Answer = { status: number; text: string };

/**
 * Starts a JSON-RPC proxy in front of anvil; `answer(method, forward)` says what
 * each request gets. Returns a watcher context that talks through it.
 */
async function rpcProxy(
  answer: (
    request: { id: number; method: string; params?: unknown[] },
    forward: () => Promise<Answer>,
  ) => Promise<Answer>,
) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const request = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
      const forward = async () => {
        const r = await fetch(dev.anvil.rpcUrl, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        return { status: r.status, text: await r.text() };
      };
      const { status, text } = await answer(request, forward);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  proxies.push(server);
  return {
    addresses: dev.deployment.addresses,
    pollingInterval: 5,
    publicClient: createPublicClient({
      chain: dev.deployer.chain,
      transport: http(`http://127.0.0.1:${port}`, { retryCount: 0 }),
    }),
  };
}

test('a reorg right after a range was queried does not make the watcher skip it', async () => {
  let target: bigint | undefined;
  const racing = await rpcProxy(async ({ method, params }, forward) => {
    const answer = await forward();
    const range = params?.[0] as { toBlock?: Hex } | undefined;
    if (method === 'eth_getLogs' && range?.toBlock !== undefined && BigInt(range.toBlock) === target) {
      target = undefined; // the (empty) logs are the old branch's; their last block is replaced before they arrive
      await reorg(dev.deployer, 1, [[await createTaskTx('during the query'), 0]]);
    }
    return answer;
  });
  const f = follow({ fromBlock: await head() }, racing);
  await caughtUp(f);
  target = (await head()) + 1n;
  await mineBlocks(dev.deployer, 1);
  await f.until(
    'the creation that replaced the queried block',
    () => f.created('during the query').length > 0,
  );
  f.watcher.stop();
  assert.equal(target, undefined, 'the reorg happened during the query');
  assert.equal(f.created('during the query')[0]!.blockHash, await hashOf(await head()));
  assert.deepEqual(f.errors, []);
});

test('failing polls back off, are reported once per distinct failure, and recover', async () => {
  await createTask(dev.deployer, await params('behind a flaky endpoint'));
  let mode: 'down' | 'error' | 'up' = 'down';
  let requests = 0;
  const flaky = await rpcProxy(async ({ id }, forward) => {
    requests++;
    if (mode === 'down') return { status: 503, text: 'unavailable' };
    if (mode === 'up') return await forward();
    return {
      status: 200,
      text: JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: 'overloaded' } }),
    };
  });
  const f = follow({ fromBlock: 0n, pollingInterval: 5 }, flaky);
  await new Promise((r) => setTimeout(r, 800));
  // At 5 ms a poll, 800 ms is 160 polls without back-off; doubling waits allow about 8.
  assert.equal(f.errors.length, 1, 'one report for one failure');
  assert.ok(requests >= 3 && requests <= 12, `${requests} requests in 800 ms`);
  mode = 'error';
  await f.until('the second, different failure', () => f.errors.length === 2);
  mode = 'up';
  await f.until(
    'the events once the endpoint answers',
    () => f.created('behind a flaky endpoint').length > 0,
  );
  f.watcher.stop();
  assert.equal(f.errors.length, 2);
});

test('a saved cursor round-trips, and a malformed one is WatchCursorError', () => {
  const cursor = [{ number: 7n, hash: keccak256(toHex('block 7')) }];
  assert.deepEqual(parseCursor(formatCursor(cursor)), cursor);
  for (const bad of ['', '{}', '[["7"]]', '[["x","0x00"]]', '[[7,"0x00"]]']) {
    assert.throws(() => parseCursor(bad), { name: 'WatchCursorError' }, bad);
  }
});

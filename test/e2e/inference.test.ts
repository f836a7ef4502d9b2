import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Address, type Hex, isAddressEqual, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { sharesAbi } from '../../generated/contracts/index.ts';
import { activeNodes } from '../../src/chain/actions/activeNodes.ts';
import { buyCredits } from '../../src/chain/actions/buyCredits.ts';
import { createModel } from '../../src/chain/actions/createModel.ts';
import { creditsOf } from '../../src/chain/actions/creditsOf.ts';
import { getNode } from '../../src/chain/actions/getNode.ts';
import { type ConcordContext, createConcordContext } from '../../src/chain/context.ts';
import { writeDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { sendAs } from '../../src/chain/devRpc.ts';
import { shardArtifactId, signRequest } from '../../src/chain/inferenceReceipt.ts';
import { requestToJson } from '../../src/chain/requestJson.ts';
import type { AskResult } from '../../src/cli/commands/ask.ts';
import { type CompletionChunk, NodeClient } from '../../src/client/nodeClient.ts';
import { ensureDeposit, signedRequest } from '../../src/devnet/askDemo.ts';
import { ensureGenesisModel, SHIPPED_MODEL_NAME } from '../../src/devnet/genesis.ts';
import { gptExchanges } from '../../src/inference/index.ts';
import { GptParams, makeGptConfig, type SamplingOptions } from '../../src/model/index.ts';
import { SHIPPED_CHECKPOINT } from '../../src/model/shipped.ts';
import { chatPrompt } from '../../src/node/inference/openaiFormat.ts';
import { planVersion } from '../../src/node/inference/planVersion.ts';
import { localPlanTokens } from '../../src/node/testing/localDecode.ts';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from '../../src/tasks/checkpoint.ts';
import { tokenizerFromMetadata } from '../../src/tasks/tokenizerMetadata.ts';
import { type NodeProcess, spawnNode, waitFor } from './nodeProcess.ts';

// Four `concord node start` processes and anvil on 127.0.0.1 serve the shipped
// model by distributed inference: three replicas and one standby per shard,
// two row shards per matrix. Node 3 lies (its host computes from perturbed weights).
const NODES = 4;
const LIAR = 3;
const PRICE = 3n;
const SHARDS_PER_MATRIX = 2;
/** Above the registry minimum (100 CCD) by more than the slashes of every session here (10 CCD each). */
const STAKE = parseEther('300');
const SLASH = parseEther('10');
/** How long a node process may take to register and listen (generous: CI runs other test files alongside). */
const START_TIMEOUT_MS = 120_000;
/** The longest a non-streamed completion may take (streams have NodeClient's own bound). */
const REQUEST_TIMEOUT_MS = 120_000;
const SAMPLING = { temperature: 0.8, top_k: 40, top_p: 0.95, seed: 7 } as const;
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
let dir: string;
let chain: DevChain;
let deploymentFile: string;
const nodes: NodeProcess[] = [];
/** The querier that signs its own requests (dev account 5, holding credits). */
let querier: ConcordContext;
let shipped: Checkpoint;

const dataDir = (i: number) => join(dir, `node${i}`);
const keyFile = (i: number) => join(dir, `node${i}.key`);
const address = (i: number) => nodes[i]!.info.address;
const apiToken = (i: number) => readFileSync(join(dataDir(i), 'api-token'), 'utf8').trim();
const client = (i: number) => new NodeClient(nodes[i]!.info.apiUrl, apiToken(i));
const logs = () => nodes.map((n, i) => `--- node${i}\n${n.output.slice(-25).join('\n')}`).join('\n');

async function start(i: number): Promise<NodeProcess> {
  nodes[i] = await spawnNode(
    {
      rpcUrl: chain.anvil.rpcUrl,
      deploymentFile,
      keyFile: keyFile(i),
      dataDir: dataDir(i),
      // Every other node, so a restarted node (on a new port) is dialled back by all of them.
      bootstrap: nodes.filter((n, j) => j !== i && n !== undefined).flatMap((n) => n.info.multiaddrs),
      flags: [
        ...['--replicas', '3', '--standbys', '1', '--shards-per-matrix', String(SHARDS_PER_MATRIX)],
        ...['--credits-per-token', PRICE.toString(), '--stake', STAKE.toString()],
        ...(i === LIAR ? ['--lie'] : []),
      ],
    },
    START_TIMEOUT_MS,
  );
  return nodes[i]!;
}

/** Runs `body`, adding the nodes' latest log lines to any failure. */
async function withLogs<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    (err as Error).message += `\n${logs()}`;
    throw err;
  }
}

/** Waits until every node serves `name` (the newest model), ready. */
async function servedEverywhere(name: string): Promise<void> {
  await Promise.all(
    nodes.map((_, i) =>
      waitFor(
        `node${i} serving ${name}`,
        async () => {
          const list = await client(i)
            .models()
            .catch(() => []);
          return list.find((m) => m.id === name && m.concord.state === 'ready');
        },
        120_000,
        logs,
      ),
    ),
  );
}

/**
 * The tokens local, single-process decoding gives for the same prompt, sampling
 * and seed, summing the shards' partials in the nodes' plan order.
 */
async function localTokens(checkpoint: Checkpoint, prompt: string, maxNewTokens: number): Promise<number[]> {
  const { params, metadata } = checkpoint;
  const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
  const sampling: SamplingOptions = {
    temperature: SAMPLING.temperature,
    topK: SAMPLING.top_k,
    topP: SAMPLING.top_p,
  };
  const options = { ...sampling, seed: SAMPLING.seed, maxNewTokens };
  return await localPlanTokens(
    params,
    { shardsPerMatrix: SHARDS_PER_MATRIX },
    tokenizer.encode(prompt),
    options,
  );
}

/** A streamed completion through node `i` paid with its API token: the tokens, the final chunk, who was outvoted. */
async function streamThrough(
  i: number,
  body: Record<string, unknown>,
  onToken: (count: number) => void = () => undefined,
): Promise<{ tokens: number[]; final: CompletionChunk; outvoted: Set<Address>; agreed: Address[][] }> {
  const tokens: number[] = [];
  const outvoted = new Set<Address>();
  const agreed: Address[][] = [];
  let final: CompletionChunk | undefined;
  for await (const chunk of client(i).streamCompletion({ ...SAMPLING, ...body })) {
    assert.ok(Array.isArray(chunk.choices), `the stream failed: ${JSON.stringify(chunk)}`);
    assert.notEqual(chunk.choices[0]?.finish_reason, 'error', JSON.stringify(chunk));
    if (chunk.concord?.token !== undefined) {
      tokens.push(chunk.concord.token);
      for (const host of chunk.concord.outvoted ?? []) outvoted.add(host);
      agreed.push(chunk.concord.agreed ?? []);
      onToken(tokens.length);
    }
    if (chunk.choices[0]?.finish_reason) final = chunk;
  }
  assert.ok(final, 'the stream ended with a final chunk');
  return { tokens, final, outvoted, agreed };
}

/**
 * Whom the kill test kills, and through which gateway it asks: the standby
 * of the first shard the liar hosts in the served plan (which depends on the
 * model digest), so the two honest hosts of that shard stay alive to sign the
 * answers that outvote the liar and slash it; the gateway is another honest node.
 */
async function victimOfPlan(): Promise<{ victim: number; gateway: number }> {
  const served = (await client(1).models()).find((m) => m.id === SHIPPED_MODEL_NAME);
  assert.ok(served, 'the shipped model is served');
  const { plan } = planVersion(
    served.concord.digest as Hex,
    shipped.params.config,
    await activeNodes(chain.deployer),
    { replicas: 3, standbys: 1, shardsPerMatrix: SHARDS_PER_MATRIX },
  );
  const first = plan.shards.find((s) => s.hosts.some((h) => isAddressEqual(h, address(LIAR))));
  const standby = first?.standbys[0];
  const victim = nodes.findIndex((n) => standby !== undefined && isAddressEqual(n.info.address, standby));
  assert.ok(victim >= 0 && victim !== LIAR, 'an honest standby of the liar’s first shard');
  return { victim, gateway: victim === 1 ? 2 : 1 };
}

/** `POST /v1/completions` with a querier-signed request; the status and the body. */
async function postSigned(
  i: number,
  signed: Awaited<ReturnType<typeof signedRequest>>,
  prompt: string,
  maxTokens: number,
) {
  const res = await fetch(`${nodes[i]!.info.apiUrl}/v1/completions`, {
    method: 'POST',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: SHIPPED_MODEL_NAME,
      prompt,
      max_tokens: maxTokens,
      ...SAMPLING,
      concord: { request: requestToJson(signed.request), signature: signed.signature },
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A POST with a plain `node:http` client (no fetch): the status and the body text. */
function httpPost(url: URL, body: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${token}`,
    };
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (body: Record<string, unknown>) => (body.error as { code?: string } | undefined)?.code;

before(
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-e2e-inference-'));
    chain = await startDevChain({ actors: NODES + 1 });
    deploymentFile = join(dir, 'deployment.json');
    writeDeployment(deploymentFile, chain.deployment);
    for (let i = 0; i < NODES; i++) writeFileSync(keyFile(i), devAccount(i + 1).privateKey, { mode: 0o600 });
    querier = chain.actors[NODES]!;
    shipped = readCheckpoint(readFileSync(SHIPPED_CHECKPOINT));
    await start(0);
    await Promise.all([1, 2, 3].map((i) => start(i)));
    // Credits are paid to share holders, so someone must hold a share before credits can be bought.
    const shares = { address: chain.deployment.addresses.shares, abi: sharesAbi } as const;
    const deployer = chain.deployer.account.address;
    await sendAs(chain.deployer, chain.deployment.addresses.taskMarket, {
      ...shares,
      functionName: 'mint',
      args: [deployer, 1n, 1n],
    });
    // Nodes 0 to 2 pay for the completions asked with their API tokens.
    for (const i of [0, 1, 2]) await buyCredits(chain.actors[i]!, { credits: 10_000n });
    await buyCredits(querier, { credits: 1_000n });
    await ensureGenesisModel(chain.deployer, client(0));
    await servedEverywhere(SHIPPED_MODEL_NAME);
  },
  { timeout: 300_000 },
);

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributed inference across four node processes', { timeout: 600_000 }, () => {
  it('streams a completion bit for bit as local generate, settles it, slashes the liar and pays the hosts', () =>
    withLogs(async () => {
      const liar = address(LIAR);
      const stakeBefore = (await getNode(chain.deployer, { account: liar })).stake;
      const creditsBefore = await creditsOf(chain.actors[1]!);
      const prompt = 'The state of the Union is';
      const { tokens, final, outvoted } = await streamThrough(1, {
        model: SHIPPED_MODEL_NAME,
        prompt,
        max_tokens: 12,
      });
      assert.deepEqual(tokens, await localTokens(shipped, prompt, 12));
      assert.equal(final.choices[0]!.finish_reason, 'length');
      assert.equal(final.usage?.completion_tokens, 12);
      assert.ok(outvoted.has(liar), 'the liar was outvoted');
      assert.equal(final.concord?.settlementError, undefined);
      const settlement = final.concord?.settlement;
      assert.ok(settlement, 'the session was settled');
      assert.equal(settlement.credits, (12n * PRICE).toString());
      assert.deepEqual(
        settlement.slashed.map((s) => [s.host, s.amount]),
        [[liar, SLASH.toString()]],
      );
      assert.equal((await getNode(chain.deployer, { account: liar })).stake, stakeBefore - SLASH);
      assert.equal(await creditsOf(chain.actors[1]!), creditsBefore - 12n * PRICE);

      // Every honest host won shard ownership units of the served version; the liar won none.
      const digest = (await client(1).models()).find((m) => m.id === SHIPPED_MODEL_NAME)!.concord.digest;
      const ids = gptExchanges(shipped.params.config).flatMap((m) =>
        Array.from({ length: SHARDS_PER_MATRIX }, (_, s) => shardArtifactId(digest, m.layer, m.matrix, s)),
      );
      const unitsOf = async (host: Address) => {
        const balances = await chain.deployer.publicClient.readContract({
          address: chain.deployment.addresses.shares,
          abi: sharesAbi,
          functionName: 'balanceOfBatch',
          args: [ids.map(() => host), ids],
        });
        return balances.reduce((a, b) => a + b, 0n);
      };
      for (const i of [0, 1, 2]) assert.ok((await unitsOf(address(i))) > 0n, `node${i} holds shard units`);
      assert.equal(await unitsOf(liar), 0n);
    }));

  it('refuses a querier without credits (402), a forged signature (401) and a replayed request (409)', () =>
    withLogs(async () => {
      const model = (await client(2).models()).find((m) => m.id === SHIPPED_MODEL_NAME)!;
      const stranger = await createConcordContext({
        rpcUrl: chain.anvil.rpcUrl,
        privateKey: generatePrivateKey(),
        deployment: chain.deployment,
      });
      const poor = await postSigned(2, await signedRequest(stranger, model, 3), 'Hi', 3);
      assert.equal(poor.status, 402, JSON.stringify(poor.body));
      assert.equal(errorCode(poor.body), 'INSUFFICIENT_CREDITS');

      const signed = await signedRequest(querier, model, 3);
      const domain = {
        chainId: chain.deployment.chainId,
        accessCredits: chain.deployment.addresses.accessCredits,
      };
      const forger = privateKeyToAccount(generatePrivateKey());
      const forged = {
        request: signed.request,
        signature: await signRequest(forger, signed.request, domain),
      };
      const refused = await postSigned(2, forged, 'Hi', 3);
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(errorCode(refused.body), 'REQUEST_SIGNATURE_INVALID');

      const creditsBefore = await creditsOf(querier);
      // The gateway and its hosts serve only a request the querier's deposit for the gateway covers.
      await ensureDeposit(querier, signed.request.gateway, signed.request.maxCredits, { buy: false });
      const first = await postSigned(2, signed, 'Hi', 3);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const concord = first.body.concord as { tokens: number[]; settlement: { credits: string } | null };
      assert.deepEqual(concord.tokens, await localTokens(shipped, 'Hi', 3));
      assert.equal(concord.settlement?.credits, (3n * PRICE).toString());
      assert.equal(await creditsOf(querier), creditsBefore - 3n * PRICE);
      const replayed = await postSigned(2, signed, 'Hi', 3);
      assert.equal(replayed.status, 409, JSON.stringify(replayed.body));
      assert.equal(errorCode(replayed.body), 'REQUEST_REPLAYED');
    }));

  it('answers a non-streamed chat completion to a plain node:http client', () =>
    withLogs(async () => {
      const messages = [{ role: 'user' as const, content: 'Who are you?' }];
      const body = JSON.stringify({ model: SHIPPED_MODEL_NAME, messages, max_tokens: 5, ...SAMPLING });
      const url = new URL('/v1/chat/completions', nodes[0]!.info.apiUrl);
      const { status, text } = await httpPost(url, body, apiToken(0));
      assert.equal(status, 200, text);
      const answer = JSON.parse(text) as {
        object: string;
        choices: { message: { role: string; content: string }; finish_reason: string }[];
        concord: { tokens: number[]; settlement: unknown };
      };
      assert.equal(answer.object, 'chat.completion');
      const want = await localTokens(shipped, chatPrompt(messages), 5);
      assert.deepEqual(answer.concord.tokens, want);
      const tokenizer = tokenizerFromMetadata(shipped.metadata, shipped.params.config.vocabSize);
      assert.equal(answer.choices[0]!.message.role, 'assistant');
      assert.equal(answer.choices[0]!.message.content, tokenizer.decode(want));
      assert.notEqual(answer.concord.settlement, null);
    }));

  it('`concord ask --key` signs, streams and settles through another gateway', () =>
    withLogs(async () => {
      const keyFile = join(dir, 'querier.key');
      writeFileSync(keyFile, `${devAccount(NODES + 1).privateKey}\n`, { mode: 0o600 });
      const creditsBefore = await creditsOf(querier);
      const prompt = 'Four score';
      const { stdout } = await run(
        process.execPath,
        [
          ...[
            join(root, 'bin/concord.mjs'),
            'ask',
            prompt,
            '--key',
            keyFile,
            '--node',
            nodes[0]!.info.apiUrl,
          ],
          ...['--chain', chain.anvil.rpcUrl, '--contracts', deploymentFile, '--max-tokens', '6'],
          ...['--temperature', String(SAMPLING.temperature), '--top-k', String(SAMPLING.top_k)],
          ...['--top-p', String(SAMPLING.top_p), '--seed', String(SAMPLING.seed), '--json'],
        ],
        { encoding: 'utf8', timeout: REQUEST_TIMEOUT_MS },
      );
      const result = JSON.parse(stdout) as AskResult;
      const tokenizer = tokenizerFromMetadata(shipped.metadata, shipped.params.config.vocabSize);
      assert.equal(result.text, tokenizer.decode(await localTokens(shipped, prompt, 6)));
      assert.equal(result.querier, querier.account.address);
      assert.equal(result.settlement?.credits, (6n * PRICE).toString());
      assert.deepEqual(
        result.settlement?.slashed.map((s) => s.host),
        [address(LIAR)],
      );
      assert.equal(await creditsOf(querier), creditsBefore - 6n * PRICE);
    }));

  it('finishes an answer when an honest host is killed in the middle of it', () =>
    withLogs(async () => {
      const { victim: VICTIM, gateway } = await victimOfPlan();
      const prompt = 'We the people';
      let killed = false;
      const { tokens, final, agreed } = await streamThrough(
        gateway,
        { model: SHIPPED_MODEL_NAME, prompt, max_tokens: 24 },
        (count) => {
          if (count === 2 && !killed) {
            killed = true;
            nodes[VICTIM]!.child.kill('SIGKILL');
          }
        },
      );
      assert.ok(killed);
      assert.equal(await nodes[VICTIM]!.exited, 'SIGKILL');
      assert.deepEqual(tokens, await localTokens(shipped, prompt, 24));
      assert.equal(final.choices[0]!.finish_reason, 'length');
      // The victim computed the first token and, dead, not the last: the others took over its shards.
      const victim = address(VICTIM);
      assert.ok(agreed[0]!.includes(victim), 'the victim took part before it was killed');
      assert.ok(!agreed.at(-1)!.includes(victim), 'the last token was computed without the victim');
      // Not answering is no equivocation: only the liar is slashed.
      assert.deepEqual(
        final.concord?.settlement?.slashed.map((s) => s.host),
        [address(LIAR)],
      );
      await start(VICTIM);
      await servedEverywhere(SHIPPED_MODEL_NAME);
    }));

  it('serves a new model of GPT-2 architecture with random weights bit for bit', () =>
    withLogs(async () => {
      const config = makeGptConfig({
        vocabSize: shipped.params.config.vocabSize,
        contextLength: 32,
        dModel: 32,
        nHeads: 4,
        nLayers: 2,
      });
      const random: Checkpoint = { params: GptParams.init(config, 11), metadata: shipped.metadata };
      const genesisDigest = (await client(0).putModel(writeCheckpoint(random))) as Hex;
      await createModel(chain.deployer, { name: 'gpt2-random', genesisDigest });
      await servedEverywhere('gpt2-random');
      const prompt = 'Hello there';
      const { tokens, final, outvoted } = await streamThrough(2, {
        model: 'gpt2-random',
        prompt,
        max_tokens: 8,
      });
      assert.deepEqual(tokens, await localTokens(random, prompt, 8));
      assert.ok(outvoted.has(address(LIAR)), 'the liar lies about the new model too');
      assert.equal(final.concord?.settlementError, undefined);
      assert.equal(final.concord?.settlement?.credits, (8n * PRICE).toString());
      // A node serves only the newest model; the older one is known but not served, an unknown one is not found.
      const ask = async (model: string) => {
        const body = JSON.stringify({ model, prompt: 'x', max_tokens: 1 });
        const res = await httpPost(new URL('/v1/completions', nodes[2]!.info.apiUrl), body, apiToken(2));
        return [res.status, errorCode(JSON.parse(res.text) as Record<string, unknown>)];
      };
      assert.deepEqual(await ask(SHIPPED_MODEL_NAME), [503, 'MODEL_NOT_READY']);
      assert.deepEqual(await ask('no-such-model'), [404, 'MODEL_NOT_FOUND']);
    }));
});

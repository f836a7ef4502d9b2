import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { writeDeployment } from '../../chain/deployment.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { embedTokens, localExchangeBackend } from '../../inference/index.ts';
import { listenApi } from '../../node/api/createApi.ts';
import {
  type CompletionTestBed,
  heldCredits,
  startCompletionTestBed,
  TEST_API_TOKEN,
  TEST_CREDITS_PER_TOKEN,
  TEST_MODEL,
} from '../../node/inference/completionTesting.ts';
import { localPlanTokens } from '../../node/testing/localDecode.ts';
import { openStore, type Store } from '../../store/openStore.ts';
import { UsageError } from '../command.ts';
import { askCommand } from './ask.ts';
import { embedCommand } from './embed.ts';

const run = promisify(execFile);
const bin = new URL('../../../bin/concord.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'concord-ask-'));
const tokenFile = join(dir, 'api-token');
const keyFile = join(dir, 'querier.key');
const contracts = join(dir, 'deployment.json');

let bed: CompletionTestBed;
let store: Store;
let server: FastifyInstance;
let url: string;

before(async () => {
  bed = await startCompletionTestBed();
  store = openStore(join(dir, 'node'));
  server = bed.app(bed.deps(store));
  url = await listenApi(server);
  writeFileSync(tokenFile, `${TEST_API_TOKEN}\n`, { mode: 0o600 });
  writeFileSync(keyFile, `${devAccount(2).privateKey}\n`, { mode: 0o600 }); // the bed's querier
  writeDeployment(contracts, bed.chain.deployment);
});
after(async () => {
  await server?.close();
  store?.close();
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The text local decoding in the plan's order gives for the same prompt, sampling and seed. */
async function localText(
  prompt: string,
  maxNewTokens: number,
  seed: number,
  temperature: number,
): Promise<string> {
  const { tokenizer, params, plan } = bed.served;
  const ids = await localPlanTokens(params, plan.parameters.sharding, tokenizer.encode(prompt), {
    temperature,
    seed,
    maxNewTokens,
  });
  return tokenizer.decode(ids);
}

async function concord(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return await run(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('concord ask', () => {
  it('with --key signs the request and pays from that key’s credits; --json reports the answer', async () => {
    const before = await heldCredits(bed, bed.querier);
    const { stdout } = await concord(
      'ask',
      'Hello',
      '--key',
      keyFile,
      '--node',
      url,
      '--chain',
      bed.chain.anvil.rpcUrl,
      '--contracts',
      contracts,
      '--max-tokens',
      '5',
      '--temperature',
      '0.7',
      '--seed',
      '9',
      '--json',
    );
    const result = JSON.parse(stdout);
    assert.equal(result.model, TEST_MODEL);
    assert.equal(result.text, await localText('Hello', 5, 9, 0.7));
    assert.equal(result.tokens, 5);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.querier, bed.querier.account.address);
    assert.match(result.session, /^0x[0-9a-f]{64}$/);
    assert.equal(result.settlement.credits, (5n * TEST_CREDITS_PER_TOKEN).toString());
    assert.equal(await heldCredits(bed, bed.querier), before - 5n * TEST_CREDITS_PER_TOKEN);
  });

  it('without --key streams the text paid by the node through its API token, and reports on stderr', async () => {
    const before = await heldCredits(bed, bed.gateway);
    const out = await concord(
      'ask',
      'ab',
      '--node',
      url,
      '--token-file',
      tokenFile,
      '--max-tokens',
      '4',
      '--temperature',
      '0',
    );
    assert.equal(out.stdout, `${await localText('ab', 4, 0, 0)}\n`);
    assert.match(
      out.stderr,
      /\[4 tokens, length; session 0x[0-9a-f]{64}; settled: 8 credits \(tx 0x[0-9a-f]{64}\)\]/,
    );
    assert.equal(await heldCredits(bed, bed.gateway), before - 4n * TEST_CREDITS_PER_TOKEN);
  });

  it('refuses bad flags before asking anything', async () => {
    const ctx = { positionals: ['hi'], stdout: () => undefined, stderr: () => undefined };
    for (const values of [{ temperature: '-1' }, { 'top-p': '0' }, { seed: '1.5' }, { 'max-tokens': '0' }]) {
      await assert.rejects(askCommand.run({ ...ctx, values: { node: url, ...values } }), (err: Error) => {
        assert.equal(err.name, 'UsageError');
        return err instanceof UsageError;
      });
    }
    await assert.rejects(askCommand.run({ ...ctx, positionals: [], values: { node: url } }), {
      name: 'UsageError',
    });
    await assert.rejects(askCommand.run({ ...ctx, values: { node: url, model: 'nope' } }), {
      name: 'UsageError',
    });
  });
});

describe('concord embed', () => {
  it('prints the network’s embedding: --json with the whole vector (bit for bit the local one), else a summary', async () => {
    const { tokenizer, params, plan } = bed.served;
    const backend = localExchangeBackend(params, plan.parameters.sharding);
    const want = await embedTokens(params, tokenizer.encode('Hello'), backend);
    backend.dispose();
    const before = await heldCredits(bed, bed.querier);
    const lines: string[] = [];
    const code = await embedCommand.run({
      positionals: ['Hello'],
      values: { node: url, key: keyFile, chain: bed.chain.anvil.rpcUrl, contracts, json: true },
      stdout: (line) => lines.push(line),
      stderr: () => undefined,
    });
    assert.equal(code, 0);
    const result = JSON.parse(lines[0]!);
    assert.equal(result.model, TEST_MODEL);
    assert.deepEqual(Float32Array.from(result.embedding), want);
    assert.equal(result.dimensions, params.config.dModel);
    assert.equal(result.promptTokens, 5);
    assert.equal(result.querier, bed.querier.account.address);
    // an embedding bills no token
    assert.equal(await heldCredits(bed, bed.querier), before);

    const out = await concord('embed', 'Hello', '--node', url, '--token-file', tokenFile);
    const norm = Math.hypot(...want).toFixed(6);
    assert.match(out.stdout, new RegExp(`^${params.config.dModel} dimensions, norm ${norm}: \\[`));
    const shown = out.stdout.slice(out.stdout.indexOf('[') + 1, out.stdout.lastIndexOf(']')).split(', ');
    assert.deepEqual(shown, [...[...want.slice(0, 8)].map((v) => v.toFixed(6)), '…']);
    assert.match(out.stderr, /session 0x[0-9a-f]{64}/);
  });

  it('refuses no text or an unknown model (usage errors)', async () => {
    const ctx = { stdout: () => undefined, stderr: () => undefined };
    await assert.rejects(embedCommand.run({ ...ctx, positionals: [], values: { node: url } }), {
      name: 'UsageError',
    });
    await assert.rejects(
      embedCommand.run({ ...ctx, positionals: ['a'], values: { node: url, model: 'nope' } }),
      {
        name: 'UsageError',
      },
    );
  });
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { nodeStartCommand } from './nodeStart.ts';

/** Runs `concord node start` with `values` (a chain URL given, so no deployment file is read). */
async function start(values: Record<string, string>): Promise<unknown> {
  return await nodeStartCommand.run({
    values: { chain: 'http://127.0.0.1:1', contracts: '/nonexistent/deployment.json', ...values },
    positionals: [],
    stdout: () => undefined,
    stderr: () => undefined,
  });
}

it('refuses out-of-range model serving flags before starting anything (UsageError)', async () => {
  for (const values of [
    { replicas: '0' },
    { replicas: 'two' },
    { standbys: '-1' },
    { 'shards-per-matrix': '0' },
    { 'shards-per-matrix': '1.5' },
    { 'credits-per-token': '1e15' },
    { 'credits-per-token': '-3' },
    { 'max-running': '0' },
    { 'max-queued': '-1' },
    { 'queue-wait': '0' },
    { 'queue-wait': '2.5' },
    { 'max-model-memory': '1.5GiB' },
    { 'max-model-memory': '-1' },
    { 'max-model-memory': '12TB' },
    { 'max-model-memory': '99999999999GiB' },
    { 'redial-max-seconds': '0' },
    { 'redial-max-seconds': 'soon' },
  ]) {
    await assert.rejects(start(values), { name: 'UsageError' }, JSON.stringify(values));
  }
});

it('refuses --api-allowed-hosts entries that are no host name (UsageError)', async () => {
  for (const hosts of [['a b'], ['ok.example,bad/host'], ['::1'], ['']]) {
    await assert.rejects(
      nodeStartCommand.run({
        values: {
          chain: 'http://127.0.0.1:1',
          contracts: '/nonexistent/deployment.json',
          'api-allowed-hosts': hosts,
        },
        positionals: [],
        stdout: () => undefined,
        stderr: () => undefined,
      }),
      { name: 'UsageError', message: /--api-allowed-hosts/ },
      JSON.stringify(hosts),
    );
  }
});

it('documents the model serving flags in its usage', () => {
  for (const flag of [
    '--replicas N',
    '--standbys N',
    '--shards-per-matrix N',
    '--credits-per-token N',
    '--max-running N',
    '--max-queued N',
    '--queue-wait S',
    '--max-model-memory BYTES',
  ]) {
    assert.ok(nodeStartCommand.usage.includes(flag), flag);
  }
});

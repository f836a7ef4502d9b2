import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Command } from './command.ts';
import { applySettings, readConfigFile, readEnvSettings } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-config-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const command: Command = {
  path: ['task', 'list'],
  summary: '',
  usage: '',
  options: { node: { type: 'string' }, chain: { type: 'string' }, contracts: { type: 'string' } },
  run: async () => 0,
};

test('flag > CONCORD_* > concord.json, only for flags the command takes; file paths are relative to the file', () => {
  writeFileSync(
    join(dir, 'concord.json'),
    JSON.stringify({
      node: 'http://10.0.0.2:8080',
      chain: 'http://10.0.0.5:8545',
      contracts: 'chain/deployment.json',
      keyFile: '/keys/evm.key',
    }),
  );
  const file = readConfigFile(undefined, dir);
  const env = readEnvSettings({ CONCORD_CHAIN: 'http://10.0.0.6:8545', CONCORD_NODE: '', HOME: '/root' });
  // keyFile is left out: task list takes no --key.
  const values = applySettings(command, { node: 'http://flag:1' }, { env, file });
  assert.deepEqual(values, {
    node: 'http://flag:1',
    chain: 'http://10.0.0.6:8545',
    contracts: join(dir, 'chain/deployment.json'),
  });
});

test('no concord.json in the directory gives no settings; --config FILE must exist', () => {
  const empty = mkdtempSync(join(dir, 'empty-'));
  assert.equal(readConfigFile(undefined, empty).size, 0);
  assert.throws(() => readConfigFile('missing.json', empty), { name: 'ConfigError' });
});

test('unknown keys, wrong types, and files that are not a JSON object are ConfigErrors naming what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['{"chain": "http://x", "replicas": "3"}', /Unknown key 'replicas'/],
    ['{"tokenFile": 7}', /Key 'tokenFile' .* non-empty string/],
    ['{"node": ""}', /Key 'node' .* non-empty string/],
    ['["chain"]', /must hold a JSON object/],
    ['{chain:', /Cannot read config file/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(join(dir, 'bad.json'), text);
    assert.throws(() => readConfigFile('bad.json', dir), { name: 'ConfigError', message }, text);
  }
});

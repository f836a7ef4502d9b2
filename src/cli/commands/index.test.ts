import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commands } from './index.ts';

test('every listed command loads, under the words it is listed by, once', async () => {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  assert.deepEqual(
    loaded.map((c) => c.path.join(' ')),
    commands.map((c) => c.path.join(' ')),
  );
  assert.equal(new Set(commands.map((c) => c.path.join(' '))).size, commands.length);
});

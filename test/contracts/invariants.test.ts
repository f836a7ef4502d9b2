// A short run of the forge invariant suite (test/invariant/, `npm run fuzz` runs it at full
// size): random operation sequences by every actor against every Concord contract, checking
// supply conservation, the solvency of each contract and the issue-15 rules after every call.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
/** Small enough for `npm test` on two cores: 10 runs of 50 calls per invariant. */
const SHORT_RUN = { FOUNDRY_INVARIANT_RUNS: '10', FOUNDRY_INVARIANT_DEPTH: '50' };

function runFuzz(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/fuzz/run.mjs'], {
      cwd: root,
      env: { ...process.env, ...SHORT_RUN },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('the Concord invariants hold over random operation sequences (forge, short run)', {
  timeout: 120_000,
}, async () => {
  const { code, output } = await runFuzz();
  assert.equal(code, 0, output);
  assert.match(output, /\[PASS\] invariant_supplyConserved/);
  assert.match(output, /\[PASS\] invariant_attacksRevert/);
  assert.doesNotMatch(output, /\[FAIL/);
});

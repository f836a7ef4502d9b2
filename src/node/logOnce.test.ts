import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogOnce, createOutageLog } from './logOnce.ts';

test('a repeated failure is logged once, then summarized after the window; other keys are independent', () => {
  const lines: string[] = [];
  let t = 0;
  const once = createLogOnce((l) => lines.push(l), { windowMs: 10_000, now: () => t });
  once('watch|RPC_UNAVAILABLE', 'watch: RPC_UNAVAILABLE: HTTP request failed.');
  for (t = 100; t < 9000; t += 100)
    once('watch|RPC_UNAVAILABLE', 'watch: RPC_UNAVAILABLE: HTTP request failed.');
  once('task 1|TaskAlreadyFinalized', 'task 1: finalize: TaskAlreadyFinalized (benign)');
  assert.deepEqual(lines, [
    'watch: RPC_UNAVAILABLE: HTTP request failed.',
    'task 1: finalize: TaskAlreadyFinalized (benign)',
  ]);
  t = 12_000;
  once('watch|RPC_UNAVAILABLE', 'watch: RPC_UNAVAILABLE: HTTP request failed.');
  assert.equal(lines[2], 'watch: RPC_UNAVAILABLE: HTTP request failed. (repeated 90 times in the last 12 s)');
  t = 30_000;
  once('task 1|TaskAlreadyFinalized', 'task 1: finalize: TaskAlreadyFinalized (benign)');
  assert.equal(lines[3], 'task 1: finalize: TaskAlreadyFinalized (benign)', 'nothing was held back');
});

test('N failures of one thing give one line, and one recovery line with the count and the time down', () => {
  const lines: [string, string | undefined][] = [];
  let t = 1_000;
  const outage = createOutageLog((l, level) => lines.push([l, level]), { now: () => t });
  outage.recovered('chain', 'chain reachable again'); // nothing was down: nothing to say
  for (let i = 0; i < 12; i++, t += 3_500) outage.failed('chain', 'chain unreachable: round: fetch failed');
  outage.failed('peer 12D3', 'peer 12D3 gone');
  outage.recovered('chain', 'chain reachable again');
  outage.recovered('chain', 'chain reachable again');
  outage.failed('chain', 'chain unreachable: round: fetch failed');
  assert.deepEqual(lines, [
    ['chain unreachable: round: fetch failed', 'warn'],
    ['peer 12D3 gone', 'warn'],
    ['chain reachable again after 42 s (12 failed attempts)', undefined],
    ['chain unreachable: round: fetch failed', 'warn'],
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNodeLogger } from './logger.ts';

test('json entries are one JSON object a line, with the level named and an ISO time', () => {
  const lines: string[] = [];
  const logger = createNodeLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) });
  logger.debug('looking');
  logger.line('journal committed (commit confirmed)');
  logger.line('chain unreachable: fetch failed', 'warn');
  const entries = lines.map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
  assert.deepEqual(
    entries.map((e) => [e.level, e.msg]),
    [
      ['debug', 'looking'],
      ['info', 'journal committed (commit confirmed)'],
      ['warn', 'chain unreachable: fetch failed'],
    ],
  );
  for (const e of entries) assert.ok(!Number.isNaN(Date.parse(e.time)), e.time);
});

test('text entries are one line each, the level named unless info; lower levels are dropped', () => {
  const lines: string[] = [];
  const logger = createNodeLogger({ level: 'info', write: (l) => lines.push(l) });
  logger.debug('not shown');
  logger.info('node 0xabc peer 12D3 api http://127.0.0.1:8080');
  logger.error('api: internal error: boom');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z node 0xabc peer 12D3 api http:\/\/127\.0\.0\.1:8080$/);
  assert.match(lines[1]!, /^\S+Z ERROR api: internal error: boom$/);
});

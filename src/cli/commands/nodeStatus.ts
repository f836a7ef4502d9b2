import { readFileSync } from 'node:fs';
import { BaseError } from '../../core/errors.ts';
import { nonLoopbackFirst } from '../../core/netHosts.ts';
import { type NodeInfo, nodeInfoFile } from '../../node/daemon.ts';
import type { Command } from '../command.ts';
import { SETTINGS_USAGE } from '../config.ts';

/** No node runs with this data directory (no node.json, or its API does not answer). */
export class NodeNotRunningError extends BaseError {
  override name = 'NodeNotRunningError';
}

/** `concord node status`: asks a running node's API for its health. */
export const nodeStatusCommand: Command = {
  path: ['node', 'status'],
  summary: "show a running node's peer id, account, chain head, API URLs and model memory cap",
  usage: [
    'Usage: concord node status [--data DIR] [--json]',
    '',
    "Reads DIR/node.json (written by `concord node start`) and queries the node's /health;",
    'maxModelMemory is the cap it announced on chain, in bytes (0 = unlimited).',
    'apiUrls and multiaddrs list the addresses other machines can use first and loopback',
    'last; an API bound to all interfaces (--api-host 0.0.0.0) shows each interface address.',
    '',
    'Options:',
    '  --data DIR  data directory of the node (default .concord/node)',
    '  --json      print JSON',
    ...SETTINGS_USAGE,
  ].join('\n'),
  options: { data: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, stdout }) {
    const dir = typeof values.data === 'string' ? values.data : '.concord/node';
    let info: NodeInfo;
    try {
      info = JSON.parse(readFileSync(nodeInfoFile(dir), 'utf8')) as NodeInfo;
    } catch (cause) {
      throw new NodeNotRunningError(`No node has run with data directory ${dir}.`, {
        hint: 'Start one with `concord node start --data DIR`.',
        cause,
      });
    }
    // Where others reach it (the interfaces' addresses when it binds all of them), loopback last.
    const apiUrls = info.apiUrls;
    const local = info.apiUrl;
    let health: Record<string, unknown>;
    try {
      const res = await fetch(`${local}/health`, { signal: AbortSignal.timeout(5000) });
      health = (await res.json()) as Record<string, unknown>;
    } catch (cause) {
      throw new NodeNotRunningError(`The node of ${dir} does not answer at ${info.apiUrl}.`, {
        hint: 'It may have stopped; start it again with `concord node start`.',
        cause,
      });
    }
    const status = {
      ...health,
      apiUrl: apiUrls[0],
      apiUrls,
      multiaddrs: nonLoopbackFirst(info.multiaddrs),
      pid: info.pid,
      maxModelMemory: info.maxModelMemory,
    };
    if (values.json) {
      stdout(JSON.stringify(status));
      return 0;
    }
    const rows = Object.entries(status).map(
      ([k, v]) => [k, Array.isArray(v) ? v.join(' ') : String(v)] as const,
    );
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) stdout(`${k.padEnd(width)}  ${v}`);
    return 0;
  },
};

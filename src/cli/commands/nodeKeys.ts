import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { nodePaths } from '../../node/dataDir.ts';
import { loadOrCreateNodeKeys } from '../../node/keys.ts';
import { loadOrCreatePeerKey } from '../../p2p/peerKey.ts';
import type { Command } from '../command.ts';

/** `concord node keys`: a node's account and peer id, made now if the data directory has none yet. */
export const nodeKeysCommand: Command = {
  path: ['node', 'keys'],
  summary: "print a node's account address and peer id (making its keys if needed), before it first starts",
  usage: [
    'Usage: concord node keys [--data DIR] [--key FILE] [--json]',
    '',
    'Loads the keys `concord node start --data DIR` will use, creating them',
    '(mode 0600) if they do not exist yet, and prints the account address to',
    'fund with gas and stake, and the libp2p peer id (for bootstrap multiaddrs,',
    '/ip4/<ip>/tcp/<port>/p2p/<peer id>). Prints no secret.',
    '',
    'Options:',
    '  --data DIR  data directory of the node (default .concord/node)',
    '  --key FILE  use this EVM key file instead of DIR/keys/evm.key (as `node start --key`)',
    '  --json      print JSON',
  ].join('\n'),
  options: { data: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, stdout }) {
    const dataDir = typeof values.data === 'string' ? values.data : '.concord/node';
    const keyFile = typeof values.key === 'string' ? values.key : undefined;
    const keys = loadOrCreateNodeKeys(dataDir, { keyFile });
    const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(nodePaths(dataDir).keysDir)).toString();
    if (values.json) {
      stdout(JSON.stringify({ address: keys.address, peerId, keyFile: keys.keyFile, created: keys.created }));
      return 0;
    }
    stdout(`address  ${keys.address}${keys.created ? '  (new key)' : ''}`);
    stdout(`peer id  ${peerId}`);
    stdout(`key      ${keys.keyFile}`);
    return 0;
  },
};

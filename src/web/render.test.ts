import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeHtml } from './html.ts';
import { renderSnapshot } from './render.ts';
import type { ServedModelInfo } from './servedModels.ts';
import type { DashboardSnapshot } from './snapshot.ts';

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const;
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as const;
const WIN: `0x${string}` = `0x${'ab'.repeat(32)}`;
const LOSE: `0x${string}` = `0x${'cd'.repeat(32)}`;

const snapshot = (
  kindName: string,
  peers: DashboardSnapshot['peers'] = [],
  modelName = 'concord-char',
): DashboardSnapshot => ({
  node: { peerId: '12D3KooWtest', address: A, chainId: 31337, chainHead: '7' },
  peers,
  tasks: [
    {
      id: '3',
      kind: `0x${'01'.repeat(32)}`,
      kindName,
      specDigest: `0x${'02'.repeat(32)}`,
      pool: `0x${'00'.repeat(32)}`,
      creator: A,
      state: 'finalized',
      baseReward: '1',
      growthBps: 0,
      maxParticipants: 2,
      quorum: 1,
      bond: '0',
      commitDeadline: 0,
      revealDeadline: 0,
      committee: [A, B],
      commits: [A, B],
      reveals: [
        { participant: A, digest: WIN },
        { participant: B, digest: LOSE },
      ],
      winner: WIN,
      payouts: [{ account: A, amount: '1500000000000000000' }],
    },
  ],
  holdings: [
    {
      address: A,
      balance: '2000000000000000000',
      stake: '100000000000000000000',
      shares: '5',
      credits: '300',
      active: true,
    },
    { address: B, balance: '0', stake: '0', shares: '0', credits: null, active: false },
  ],
  models: [
    {
      modelId: '1',
      name: modelName,
      owner: B,
      versions: [
        {
          index: '0',
          digest: WIN,
          taskId: '0',
          heldOut: { state: 'measured', bitsPerToken: 3.04, tokens: 1024 },
        },
        { index: '1', digest: LOSE, taskId: '9', heldOut: { state: 'pending' } },
      ],
    },
  ],
});

const served: ServedModelInfo = {
  id: 'concord-char',
  modelId: '1',
  versionIndex: '1',
  name: 'concord-char',
  digest: LOSE,
  state: 'ready',
  replicas: 3,
  hostedShards: 4,
  hostedBytes: 4096,
  hosts: [A, B],
  creditsPerToken: '1000000000000000',
  gateway: A,
};

describe('renderSnapshot', () => {
  it('shows each member as winner or loser with the payout, and the task state by id', () => {
    const html = renderSnapshot(snapshot('matvec'));
    assert.match(html, /revealed 0xabababab… ✓ <b>\+1\.5<\/b>/);
    assert.match(html, /revealed 0xcdcdcdcd… ✗/);
    assert.match(html, /<span class="state finalized" data-task="3">finalized<\/span>/);
    assert.match(html, /<span data-commits="3">2\/2<\/span>/);
  });

  it('lists the active nodes with stake in the network section, and says when no peer is connected', () => {
    const html = renderSnapshot(snapshot('matvec'));
    const network = /<section id="network">(.*?)<\/section>/s.exec(html)?.[1] ?? '';
    assert.match(network, /Nodes \(1 staked\)/);
    assert.match(network, new RegExp(`${A}</code> <b>\\(this node\\)</b></td><td>100</td>`));
    assert.ok(!network.includes(B), 'an unstaked committee member is not listed as a node');
    assert.match(network, /no peers connected/);
  });

  it('shows a peer connected twice once, with both addresses, and never the node itself', () => {
    const twice = [
      { peerId: 'P1', addrs: ['/ip4/127.0.0.1/tcp/1'], connected: true, node: true },
      { peerId: '12D3KooWtest', addrs: ['/ip4/127.0.0.1/tcp/9'], connected: true, node: true }, // the node itself
      { peerId: 'P1', addrs: ['/ip4/127.0.0.1/tcp/2'], connected: true, node: true },
    ];
    const html = renderSnapshot(snapshot('matvec', twice));
    assert.match(html, /Peers \(1 node connected\)/);
    assert.doesNotMatch(html, /tcp\/9/);
    assert.match(
      html,
      /<td><code>P1<\/code><\/td><td>node<\/td><td>\/ip4\/127\.0\.0\.1\/tcp\/1 \/ip4\/127\.0\.0\.1\/tcp\/2<\/td>/,
    );
  });

  it('counts nodes apart from the gateway hosts and clients connected to it', () => {
    const peers = [
      { peerId: 'N1', addrs: ['/ip4/127.0.0.1/tcp/1'], connected: true, node: true },
      { peerId: 'N2', addrs: ['/ip4/127.0.0.1/tcp/2'], connected: true, node: true },
      { peerId: 'G1', addrs: ['/ip4/127.0.0.1/tcp/3'], connected: true, node: false },
    ];
    const html = renderSnapshot(snapshot('matvec', peers));
    assert.match(html, /Peers \(2 nodes connected, 1 other\)/);
    assert.match(html, /<td><code>G1<\/code><\/td><td>gateway or client<\/td>/);
  });

  it('shows shares and credits per address in the ownership section', () => {
    const html = renderSnapshot(snapshot('matvec'));
    assert.match(html, new RegExp(`${A}</code></td><td>2</td><td>5</td><td>300</td>`));
    assert.match(html, new RegExp(`${B}</code></td><td>0</td><td>0</td><td>-</td>`));
  });

  it('shows model versions with their held-out loss, a chart, and what this node serves', () => {
    const html = renderSnapshot(snapshot('matvec'), [served]);
    const models = /<section id="models">(.*?)<\/section>/s.exec(html)?.[1] ?? '';
    assert.match(models, /<td>v0<\/td>.*?<td>genesis<\/td><td>3\.040 /s);
    assert.match(models, /<td>v1<\/td>.*?<td>9<\/td><td><span class="empty">measuring…/s);
    assert.match(models, /<span class="served ready">ready<\/span> · 2 hosts, 3 per shard/);
    assert.match(models, /<svg class="loss-chart"/);
  });

  it('never lets node-supplied text become markup', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const html = renderSnapshot(snapshot(`<img src=x onerror=alert(1)>${name}`, [], `<script>${name}`));
        assert.ok(!html.includes('<img'));
        assert.ok(!html.includes('<script'));
        assert.ok(html.includes(escapeHtml(name)));
      }),
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Interfaces, nonLoopbackFirst, reachableHosts, reachableUrls } from './netHosts.ts';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) => ({
  address,
  family,
  internal,
  netmask: '',
  mac: '',
  cidr: null,
  ...(family === 'IPv6' ? { scopeid: 0 } : {}),
});
const interfaces = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('10.0.0.2', 'IPv4', false), iface('fe80::1', 'IPv6', false), iface('fd00::2', 'IPv6', false)],
  eth1: [iface('192.168.1.7', 'IPv4', false)],
} as Interfaces;

test('a wildcard bind is reached at each interface address, loopback last; a named host is itself', () => {
  assert.deepEqual(reachableHosts('0.0.0.0', interfaces), ['10.0.0.2', '192.168.1.7', '127.0.0.1']);
  assert.deepEqual(reachableHosts('::', interfaces), ['10.0.0.2', 'fd00::2', '192.168.1.7', '127.0.0.1']);
  assert.deepEqual(reachableHosts('10.0.0.2', interfaces), ['10.0.0.2']);
  assert.deepEqual(reachableUrls('http://0.0.0.0:8080', interfaces), [
    'http://10.0.0.2:8080',
    'http://192.168.1.7:8080',
    'http://127.0.0.1:8080',
  ]);
  assert.deepEqual(reachableUrls('http://[::]:8080/', interfaces)[1], 'http://[fd00::2]:8080');
  assert.deepEqual(reachableUrls('http://127.0.0.1:8080', interfaces), ['http://127.0.0.1:8080']);
});

test('addresses on loopback go last, the others keep their order', () => {
  assert.deepEqual(
    nonLoopbackFirst([
      '/ip4/127.0.0.1/tcp/4001/p2p/12D3',
      '/ip4/10.0.0.2/tcp/4001/p2p/12D3',
      '/ip6/::1/tcp/4001',
      '/ip4/192.168.1.7/tcp/4001/p2p/12D3',
    ]),
    [
      '/ip4/10.0.0.2/tcp/4001/p2p/12D3',
      '/ip4/192.168.1.7/tcp/4001/p2p/12D3',
      '/ip4/127.0.0.1/tcp/4001/p2p/12D3',
      '/ip6/::1/tcp/4001',
    ],
  );
});

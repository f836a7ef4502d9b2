import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

/** The interfaces of this machine by name, as `os.networkInterfaces()` gives them. */
export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Whether `host` is a wildcard bind address (all interfaces), which no one can connect to. */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/**
 * The addresses others can use to reach a server bound to `bindHost`: for a
 * wildcard (0.0.0.0, or :: with IPv6 too), this machine's non-internal
 * addresses first, then 127.0.0.1; otherwise `bindHost` itself.
 */
export function reachableHosts(bindHost: string, interfaces: Interfaces = networkInterfaces()): string[] {
  if (!isWildcardHost(bindHost)) return [bindHost];
  const withV6 = bindHost.replace(/^\[|\]$/g, '') === '::';
  const external: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) {
      if (i.internal) continue;
      if (i.family === 'IPv4') external.push(i.address);
      else if (withV6 && !i.address.toLowerCase().startsWith('fe80:')) external.push(i.address);
    }
  }
  return [...external, '127.0.0.1'];
}

/**
 * The URLs others can use for a server at `url`: `url` itself unless its
 * host is a wildcard, then one per {@link reachableHosts} (non-loopback first).
 */
export function reachableUrls(url: string, interfaces?: Interfaces): string[] {
  const parsed = new URL(url);
  if (!isWildcardHost(parsed.hostname)) return [url.replace(/\/+$/, '')];
  return reachableHosts(parsed.hostname, interfaces).map((host) => {
    const u = new URL(url);
    u.hostname = urlHost(host);
    return u.toString().replace(/\/+$/, '');
  });
}

/** `host` as a URL writes it: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `addrs` (URLs, multiaddrs) with those on a loopback address after the others, otherwise in their order. */
export function nonLoopbackFirst<T extends { toString(): string }>(addrs: readonly T[]): T[] {
  const loopback = (a: T) => {
    const s = a.toString();
    return /^\/ip[46]\/(127\.|::1\/)/.test(s) || /^\w+:\/\/(127\.|\[::1\]|localhost)/.test(s);
  };
  return [...addrs.filter((a) => !loopback(a)), ...addrs.filter(loopback)];
}

import type { FastifyRequest } from 'fastify';
import { type Interfaces, reachableHosts, urlHost } from '../../core/netHosts.ts';
import { HostNotAllowedError } from './errors.ts';

/** The `Host` names every node's API answers: its loopback names, with any port. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The hosts the API of a node bound to `bindHost` answers: the loopback names,
 * the addresses it is reachable at (the bind address, or for a wildcard bind
 * such as `0.0.0.0` the machine's interface addresses — an address literal is
 * no name a rebinding page can use), and the names the operator adds
 * (`--api-allowed-hosts`). `*` among them turns the check off (for a node
 * behind a proxy that checks `Host` itself).
 */
export function allowedHosts(
  bindHost: string,
  extra: readonly string[] = [],
  interfaces?: Interfaces,
): string[] {
  const own = reachableHosts(bindHost, interfaces).map(urlHost);
  const hosts = [...LOOPBACK_HOSTS, ...own, ...extra];
  return [...new Set(hosts.map((h) => h.toLowerCase()))];
}

/** The host name of a `Host` header without its port (`[::1]:8080` → `[::1]`), lowercased. */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * A fastify `onRequest` hook admitting only requests whose `Host` header
 * names one of `hosts` (any port): the defence against DNS rebinding, where a
 * page on another site reads the node's API under its own name. Others throw
 * HostNotAllowedError (421 `HOST_NOT_ALLOWED`).
 */
export function requireAllowedHost(hosts: readonly string[]): (request: FastifyRequest) => Promise<void> {
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  return async (request) => {
    if (allowed.has('*')) return;
    const header = request.headers.host ?? '';
    if (allowed.has(hostName(header))) return;
    throw new HostNotAllowedError(`This node does not answer for host '${header.slice(0, 100)}'.`, {
      hint: "Use a loopback name (localhost, 127.0.0.1, [::1]), or start the node with '--api-allowed-hosts <name>'.",
    });
  };
}

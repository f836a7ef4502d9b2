import { execFileSync } from 'node:child_process';

/**
 * A local "multi-host" network for tests: one Linux network namespace per
 * host, each with its own private IPv4 address on a veth whose other end is
 * plugged into a bridge in the root namespace (which gets the subnet's `.1`,
 * so the test process itself can reach every host, as an operator's machine
 * on the same LAN). Needs root and iproute2's `ip`.
 *
 * ```
 *   root namespace: bridge ccbr<pid> 10.77.S.1/24  (the test process, the CLI calls)
 *     ├── cc<pid>h0 ══ veth-<host0> in netns cc-<host0>-<pid>  10.77.S.10
 *     ├── cc<pid>h1 ══ veth-<host1> in netns cc-<host1>-<pid>  10.77.S.11
 *     └── ...
 * ```
 *
 * Names carry this process's pid and the subnet S is one no interface uses
 * yet, so runs side by side do not collide.
 */

/** One host of a {@link NetnsLab}. */
export type LabHost = {
  /** The name the test gives it (`chain`, `n1`, ...). */
  name: string;
  /** Its network namespace. */
  netns: string;
  /** Its address on the lab's subnet. */
  ip: string;
  /** Its interface inside the namespace (`veth-<name>`): set it down to cut the host off. */
  link: string;
};

/** Why this machine cannot build namespaces (not Linux, not root, no working `ip netns`), or undefined when it can. */
export function namespacesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces exist only on Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  try {
    ip(['netns', 'list']);
    ip(['link', 'show', 'lo']);
  } catch (err) {
    return `iproute2's \`ip netns\` does not work here: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/**
 * Network namespaces on one bridge. {@link NetnsLab.create} builds it;
 * {@link NetnsLab.destroy} kills every process left in its namespaces and
 * deletes them, their veths and the bridge (idempotent, synchronous, so it
 * also runs from an exit hook).
 */
export class NetnsLab {
  /** The bridge's address in the root namespace (where the test process runs). */
  readonly rootIp: string;
  readonly #bridge: string;
  readonly #hosts = new Map<string, LabHost>();
  readonly #hostLinks: string[] = [];
  #destroyed = false;

  private constructor(subnet: string, bridge: string) {
    this.rootIp = `${subnet}.1`;
    this.#bridge = bridge;
  }

  /**
   * Builds the bridge and one namespace per name, the i-th at `.10 + i` of a
   * free 10.77.S.0/24 subnet, every link and loopback up. On failure whatever
   * was built is removed again.
   */
  static create(names: readonly string[]): NetnsLab {
    const tag = String(process.pid);
    const lab = new NetnsLab(`10.77.${freeSubnetOctet()}`, `ccbr${tag}`);
    const subnet = lab.rootIp.slice(0, -2);
    const onExit = () => lab.destroy();
    process.once('exit', onExit);
    try {
      ip(['link', 'add', lab.#bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${lab.rootIp}/24`, 'dev', lab.#bridge]);
      ip(['link', 'set', lab.#bridge, 'up']);
      names.forEach((name, i) => {
        const host: LabHost = {
          name,
          netns: `cc-${name}-${tag}`,
          ip: `${subnet}.${10 + i}`,
          link: `veth-${name}`.slice(0, 15),
        };
        const outer = `cc${tag}h${i}`;
        ip(['netns', 'add', host.netns]);
        lab.#hosts.set(name, host);
        ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', host.link, 'netns', host.netns]);
        lab.#hostLinks.push(outer);
        ip(['link', 'set', outer, 'master', lab.#bridge]);
        ip(['link', 'set', outer, 'up']);
        lab.inside(name, ['ip', 'addr', 'add', `${host.ip}/24`, 'dev', host.link]);
        lab.inside(name, ['ip', 'link', 'set', host.link, 'up']);
        lab.inside(name, ['ip', 'link', 'set', 'lo', 'up']);
      });
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** The host named `name`. */
  host(name: string): LabHost {
    const host = this.#hosts.get(name);
    if (host === undefined) throw new Error(`the lab has no host '${name}'`);
    return host;
  }

  /** The words that run a command inside `name`'s namespace: `ip netns exec <netns>`. */
  prefix(name: string): string[] {
    return ['ip', 'netns', 'exec', this.host(name).netns];
  }

  /** Runs `argv` inside `name`'s namespace to completion; returns its stdout. */
  inside(name: string, argv: readonly string[]): string {
    return ip(['netns', 'exec', this.host(name).netns, ...argv]);
  }

  /** Sets `name`'s interface up or down, from inside its namespace (its processes keep running). */
  setLink(name: string, up: boolean): void {
    this.inside(name, ['ip', 'link', 'set', this.host(name).link, up ? 'up' : 'down']);
  }

  /** Pids of the processes in `name`'s namespace. */
  pids(name: string): number[] {
    return ip(['netns', 'pids', this.host(name).netns])
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number);
  }

  /** SIGKILLs what still runs in the namespaces, deletes them, the veths and the bridge. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const host of this.#hosts.values()) {
      try {
        for (const pid of this.pids(host.name)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      quietly(['netns', 'delete', host.netns]);
    }
    for (const link of this.#hostLinks) quietly(['link', 'delete', link]); // normally gone with its namespace
    quietly(['link', 'delete', this.#bridge]);
  }
}

/** Runs `ip ...args`; throws with its stderr on failure. */
function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function quietly(args: readonly string[]): void {
  try {
    ip(args);
  } catch {
    // already removed
  }
}

/** An S in 10.77.S.0/24 that no interface address or route of the root namespace uses, starting from this pid's. */
function freeSubnetOctet(): number {
  const used = ip(['-4', 'addr', 'show']) + ip(['-4', 'route', 'show']);
  for (let k = 0; k < 250; k++) {
    const octet = ((process.pid + k) % 250) + 1;
    if (!used.includes(`10.77.${octet}.`)) return octet;
  }
  throw new Error('no free 10.77.S.0/24 subnet for the lab');
}

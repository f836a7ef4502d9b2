import type { PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerBook } from '../store/peers.ts';
import { asError } from './asError.ts';
import type { ConcordHost } from './createHost.ts';
import { dialableAddrs } from './knownPeers.ts';

/** Default first redial delay after a peer is lost. */
export const DEFAULT_REDIAL_INITIAL_MS = 1_000;
/** Default longest delay between two redials of one peer. */
export const DEFAULT_REDIAL_MAX_MS = 60_000;
/** Default cap on redials in flight at once. */
export const DEFAULT_REDIAL_CONCURRENCY = 4;
/** Default time one redial may take. */
export const DEFAULT_REDIAL_TIMEOUT_MS = 10_000;
/** Default age after which a peer not seen is forgotten: 7 days. */
export const DEFAULT_FORGET_AFTER_MS = 7 * 24 * 3600 * 1000;
/** How often connected peers are marked seen (so a crash loses at most this much of their last-seen time). */
const TOUCH_INTERVAL_MS = 3600 * 1000;
/** Default number of remembered peers dialed at start. */
export const DEFAULT_START_PEERS = 200;

/** Options of {@link Redialer}; every field has a default. */
export type RedialerOptions = {
  /** Delay before the first redial of a lost peer, in ms (doubles per failure). */
  initialDelayMs?: number | undefined;
  /** Longest delay between redials of one peer, in ms. */
  maxDelayMs?: number | undefined;
  /** Redials in flight at once; the others wait their turn. */
  maxConcurrentDials?: number | undefined;
  /** Time one redial may take, in ms. */
  dialTimeoutMs?: number | undefined;
  /** A peer not seen for this long (ms) is forgotten and no longer redialed. */
  forgetAfterMs?: number | undefined;
  /** How many of the most recently seen peers `start()` dials. */
  startPeers?: number | undefined;
  /**
   * Whether a remembered peer is still worth redialing (a node passes "is an
   * active registered node"); a peer that is not is forgotten. Default: all.
   */
  wanted?: ((peerId: string) => boolean | Promise<boolean>) | undefined;
  /** Where state changes are logged (one line per change, never per attempt). */
  log?: ((line: string) => void) | undefined;
  /** The clock, in ms since the epoch. */
  now?: (() => number) | undefined;
  /** Uniform [0, 1) source of the delays' jitter. */
  random?: (() => number) | undefined;
};

type Lost = {
  /** Failed dials so far. */
  failures: number;
  /** When the peer was lost (ms). */
  since: number;
  timer?: NodeJS.Timeout | undefined;
  /** Whether "unreachable" has been logged for this loss. */
  logged: boolean;
};

/**
 * Keeps a node connected to the peers it remembers (the store's peer book):
 * `start()` dials them, and a remembered peer whose last connection closes
 * is redialed with exponential backoff (doubling from `initialDelayMs` to
 * `maxDelayMs`, ±20 % jitter within the cap, reset when it is connected again) until it is
 * back, is no longer `wanted`, or has not been seen for `forgetAfterMs`.
 * At most `maxConcurrentDials` redials run at once. Logs one line when a
 * peer becomes unreachable, when it is back and when it is given up.
 */
export class Redialer {
  readonly #host: ConcordHost;
  readonly #peers: PeerBook;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxConcurrent: number;
  readonly #dialTimeoutMs: number;
  readonly #forgetAfterMs: number;
  readonly #startPeers: number;
  readonly #wanted: (peerId: string) => boolean | Promise<boolean>;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #lost = new Map<string, Lost>();
  /** Peers whose redial is due, waiting for a free dial slot. */
  readonly #due: string[] = [];
  #dialing = 0;
  #running = false;
  #touchTimer: NodeJS.Timeout | undefined;

  /** `peers` is the node's peer book (see `trackKnownPeers`, which fills it). */
  constructor(host: ConcordHost, peers: PeerBook, options: RedialerOptions = {}) {
    this.#host = host;
    this.#peers = peers;
    this.#initialDelayMs = options.initialDelayMs ?? DEFAULT_REDIAL_INITIAL_MS;
    this.#maxDelayMs = Math.max(options.maxDelayMs ?? DEFAULT_REDIAL_MAX_MS, this.#initialDelayMs);
    this.#maxConcurrent = Math.max(1, options.maxConcurrentDials ?? DEFAULT_REDIAL_CONCURRENCY);
    this.#dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_REDIAL_TIMEOUT_MS;
    this.#forgetAfterMs = options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.#startPeers = options.startPeers ?? DEFAULT_START_PEERS;
    this.#wanted = options.wanted ?? (() => true);
    this.#log = options.log ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Peers currently being redialed. */
  get lost(): string[] {
    return [...this.#lost.keys()];
  }

  /**
   * Forgets peers not seen for `forgetAfterMs`, dials the most recently seen
   * remembered peers that are not connected (each one that fails joins the
   * backoff), then watches disconnections.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#host.addEventListener('peer:connect', this.#onConnect);
    this.#host.addEventListener('peer:disconnect', this.#onDisconnect);
    this.#touchTimer = setInterval(() => this.#touchConnected(), TOUCH_INTERVAL_MS).unref();
    this.#peers.pruneBefore(this.#now() - this.#forgetAfterMs);
    for (const peer of this.#peers.list(this.#startPeers)) {
      if (this.#host.getConnections().some((c) => c.remotePeer.toString() === peer.peerId)) continue;
      this.#lose(peer.peerId, 0);
    }
  }

  /**
   * Stops watching and cancels every pending redial; remembered peers still
   * connected are marked seen now (as they are every hour while running).
   * Call it before stopping the host.
   */
  stop(): void {
    if (!this.#running) return;
    this.#touchConnected();
    clearInterval(this.#touchTimer);
    this.#running = false;
    this.#host.removeEventListener('peer:connect', this.#onConnect);
    this.#host.removeEventListener('peer:disconnect', this.#onDisconnect);
    for (const lost of this.#lost.values()) clearTimeout(lost.timer);
    this.#lost.clear();
    this.#due.length = 0;
  }

  readonly #onConnect = (evt: CustomEvent<PeerId>) => this.#reconnected(evt.detail.toString());

  /** Ends the backoff of `id` (connected again, by either side). */
  #reconnected(id: string): void {
    const lost = this.#lost.get(id);
    if (!lost) return;
    clearTimeout(lost.timer);
    this.#lost.delete(id);
    if (lost.logged) {
      const seconds = Math.round((this.#now() - lost.since) / 1000);
      this.#log(`peer ${id} reconnected after ${lost.failures} failed attempts (${seconds} s unreachable)`);
    }
  }

  readonly #onDisconnect = (evt: CustomEvent<PeerId>) => {
    if (this.#host.status !== 'started') return;
    const id = evt.detail.toString();
    if (this.#touch(id)) this.#lose(id, this.#initialDelayMs);
  };

  #touchConnected(): void {
    for (const id of new Set(this.#host.getConnections().map((c) => c.remotePeer.toString())))
      this.#touch(id);
  }

  /** Marks a remembered peer seen now (it was connected until now); whether it is remembered. */
  #touch(id: string): boolean {
    try {
      const peer = this.#peers.get(id);
      if (peer) this.#peers.upsert(id, peer.multiaddrs);
      return peer !== undefined;
    } catch (err) {
      this.#log(`peer book: ${asError(err).message}`);
      return false;
    }
  }

  /** Starts redialing `id` after `delayMs` unless it is already being redialed. */
  #lose(id: string, delayMs: number): void {
    if (!this.#running || this.#lost.has(id)) return;
    const lost: Lost = { failures: 0, since: this.#now(), logged: false };
    this.#lost.set(id, lost);
    this.#schedule(id, lost, delayMs);
  }

  #schedule(id: string, lost: Lost, delayMs: number): void {
    lost.timer = setTimeout(() => {
      lost.timer = undefined;
      this.#due.push(id);
      this.#drain();
    }, delayMs);
    lost.timer.unref();
  }

  #drain(): void {
    while (this.#running && this.#dialing < this.#maxConcurrent && this.#due.length > 0) {
      const id = this.#due.shift()!;
      const lost = this.#lost.get(id);
      if (!lost) continue;
      this.#dialing++;
      void this.#attempt(id, lost)
        .catch((err) => {
          // The peer book failed (a full disk): drop the peer from this run, keep it remembered.
          if (this.#lost.get(id) === lost) this.#lost.delete(id);
          this.#log(`peer ${id}: redial stopped: ${asError(err).message}`);
        })
        .finally(() => {
          this.#dialing--;
          this.#drain();
        });
    }
  }

  async #attempt(id: string, lost: Lost): Promise<void> {
    const peer = this.#peers.get(id);
    const stale = peer === undefined || peer.lastSeen < this.#now() - this.#forgetAfterMs;
    if (stale || !(await this.#isWanted(id))) {
      this.#giveUp(id, lost, stale ? 'not seen for too long' : 'no longer an active node');
      return;
    }
    if (this.#lost.get(id) !== lost) return; // reconnected (or stopped) meanwhile
    try {
      await this.#host.dial(
        dialableAddrs(peer).map((a) => multiaddr(a)),
        { signal: AbortSignal.timeout(this.#dialTimeoutMs) },
      );
      if (this.#lost.get(id) === lost) this.#reconnected(id); // an existing connection: no connect event
    } catch (err) {
      if (this.#lost.get(id) !== lost) return;
      lost.failures++;
      if (!lost.logged) {
        lost.logged = true;
        this.#log(
          `peer ${id} unreachable (${asError(err).message}), redialing with backoff up to ${Math.round(this.#maxDelayMs / 1000)} s`,
        );
      }
      this.#schedule(id, lost, this.#delay(lost.failures));
    }
  }

  async #isWanted(id: string): Promise<boolean> {
    try {
      return await this.#wanted(id);
    } catch {
      return true; // cannot tell (e.g. the chain is cut off too): keep trying
    }
  }

  #giveUp(id: string, lost: Lost, why: string): void {
    if (this.#lost.get(id) !== lost) return;
    this.#lost.delete(id);
    this.#peers.forget(id);
    if (lost.logged) this.#log(`peer ${id} ${why}: forgotten after ${lost.failures} attempts`);
  }

  /** The delay after `failures` failed dials: doubling, ±20 % jitter, capped. */
  #delay(failures: number): number {
    const base = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** Math.min(failures - 1, 30));
    return Math.min(this.#maxDelayMs, Math.round(base * (0.8 + 0.4 * this.#random())));
  }
}

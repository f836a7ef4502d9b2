import { MAX_CACHED_SESSIONS } from '../../inference/constants.ts';
import { ClientClosedRequestError, NoCapacityError, QueueFullError } from './completionErrors.ts';

/** How many completions a gateway runs and queues, and how long one may wait. */
export type AdmissionLimits = {
  /** Sessions generating at once. */
  readonly maxRunning: number;
  /** Requests waiting for a running slot, first come first served. */
  readonly maxQueued: number;
  /** Longest time a request waits in the queue before it is refused, in ms. */
  readonly maxWaitMs: number;
};

/**
 * The limits of `concord node start` unless its flags say otherwise: 16
 * running sessions, a quarter of the sessions a host keeps attention caches
 * for (MAX_CACHED_SESSIONS; beyond, it answers BUSY), leaving room for other
 * gateways' sessions and for ended ones whose caches a host keeps until they
 * are idle; 64 waiting, 30 s of waiting at most.
 */
export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  maxRunning: MAX_CACHED_SESSIONS / 4,
  maxQueued: 64,
  maxWaitMs: 30_000,
};

/** Bounds of the Retry-After estimate, in seconds. */
const MIN_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 60;
/** Weight of the newest session in the running mean of how long a slot is held. */
const HOLD_MEAN_WEIGHT = 0.2;

/** Gives a running slot back (once; later calls do nothing). */
export type ReleaseSlot = () => void;

/** A queued request: admits it with its slot. */
type Waiter = (release: ReleaseSlot) => void;

/**
 * Admission control of a gateway's completions: at most `maxRunning` sessions
 * generate at once; the next `maxQueued` requests wait in arrival order, each
 * at most `maxWaitMs`; beyond that a request is refused at once with
 * QueueFullError (429). One that waited too long is refused with
 * NoCapacityError (503); both carry a Retry-After estimate. A waiting request
 * whose client leaves gives its place up (ClientClosedRequestError). Nothing
 * is reserved or billed for a request before it holds a slot.
 */
export class CompletionAdmission {
  readonly limits: AdmissionLimits;
  readonly #now: () => number;
  readonly #queue: Waiter[] = [];
  #running = 0;
  /** Running mean of how long a slot is held, in ms (undefined before the first release). */
  #meanHoldMs: number | undefined;

  /** `now` (ms) defaults to `performance.now`; tests inject a clock. */
  constructor(limits: Partial<AdmissionLimits> = {}, now: () => number = () => performance.now()) {
    this.limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits };
    this.#now = now;
  }

  /** Sessions holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Seconds after which a refused request may find a place: the time one
   * slot takes to free, from the mean time slots were held (at least 1, at
   * most 60; 1 before any session ended).
   */
  retryAfterSeconds(): number {
    const perSlotMs = (this.#meanHoldMs ?? 0) / this.limits.maxRunning;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(perSlotMs / 1000)));
  }

  /**
   * Resolves to the release of a running slot: at once when one is free and
   * nobody waits, else when the requests queued before this one got theirs
   * and one more freed. Rejects with QueueFullError when the queue is full,
   * NoCapacityError after `maxWaitMs`, or ClientClosedRequestError when
   * `signal` aborts while waiting (the place is given up).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(this.#closed());
    if (this.#running < this.limits.maxRunning && this.#queue.length === 0) {
      return Promise.resolve(this.#take());
    }
    if (this.#queue.length >= this.limits.maxQueued) {
      return Promise.reject(
        new QueueFullError(
          `This gateway runs ${this.#running} completions and ${this.#queue.length} more wait.`,
          {
            hint: 'Retry after the Retry-After delay, or ask another node.',
            retryAfterSeconds: this.retryAfterSeconds(),
          },
        ),
      );
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const leave = (err: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(err);
      };
      const onAbort = () => leave(this.#closed());
      const timer = setTimeout(
        () =>
          leave(
            new NoCapacityError(
              `No completion slot freed within ${this.limits.maxWaitMs} ms on this gateway.`,
              {
                hint: 'Retry after the Retry-After delay, or ask another node.',
                retryAfterSeconds: this.retryAfterSeconds(),
              },
            ),
          ),
        this.limits.maxWaitMs,
      );
      const waiter: Waiter = (release) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #take(): ReleaseSlot {
    this.#running++;
    const since = this.#now();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const ms = this.#now() - since;
      this.#meanHoldMs =
        this.#meanHoldMs === undefined ? ms : this.#meanHoldMs + HOLD_MEAN_WEIGHT * (ms - this.#meanHoldMs);
      this.#running--;
      const next = this.#queue.shift();
      if (next !== undefined) next(this.#take());
    };
  }

  #closed(): ClientClosedRequestError {
    return new ClientClosedRequestError('The client closed the connection while waiting for a slot.');
  }
}

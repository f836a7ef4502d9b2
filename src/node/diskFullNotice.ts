import { DiskFullError } from '../store/errors.ts';

/**
 * Says once that the disk is full, rather than once per failed write while
 * it stays full, and once that writes work again.
 */
export class DiskFullNotice {
  readonly #log: (line: string) => void;
  #full = false;

  /** Creates a notice that writes to `log`. */
  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /**
   * Whether `err` is a `DiskFullError` while the disk is already known full
   * (the caller then stays quiet). The first one marks the disk full and
   * returns false, so the caller logs it.
   */
  repeated(err: unknown): boolean {
    if (!(err instanceof DiskFullError)) return false;
    if (this.#full) return true;
    this.#full = true;
    this.#log('disk full: further disk-full errors are not logged until a write succeeds again');
    return false;
  }

  /** A write succeeded: if the disk was full, says once that writing works again. */
  writable(): void {
    if (!this.#full) return;
    this.#full = false;
    this.#log('disk has room again: writes succeed, resuming');
  }
}

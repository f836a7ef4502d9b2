import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Holds a secret (a private key, the API token) so it cannot leak by
 * accident: `String()`, `JSON.stringify`, `console.log` and `util.inspect`
 * all print `[redacted]`. Only `reveal()` returns the value.
 */
export class Secret<T extends string = string> {
  readonly #value: T;

  /** Wraps `value`. */
  constructor(value: T) {
    this.#value = value;
  }

  /** Returns the secret value; pass it straight to the code that needs it, never to a log. */
  reveal(): T {
    return this.#value;
  }

  /** Redacted form for string conversion. */
  toString(): string {
    return REDACTED;
  }

  /** Redacted form for JSON. */
  toJSON(): string {
    return REDACTED;
  }

  /** Redacted form for `util.inspect` and `console.log`. */
  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

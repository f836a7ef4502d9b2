import type { BaseError } from '../core/errors.ts';
import * as errors from './errors.ts';
import type { WasmExecutionResult } from './execute.ts';

/** One run for the runner: the raw module, its limits and the run's inputs. */
export type WasmRunRequest = {
  /** The module binary as submitted (validated and metered by the runner). */
  module: Uint8Array;
  /** The entry export, a function `() -> ()`. */
  entry: string;
  /** The input blob. */
  input: Uint8Array;
  /** Instruction budget. */
  fuel: bigint;
  /** Largest memory in 64 KiB pages. */
  memoryPages: number;
  /** The most output bytes. */
  maxOutputBytes: number;
  /** Seed of `rng_next` (u64). */
  seed: bigint;
};

/** A named error as it crosses the thread boundary. */
export type SerializedError = { name: string; shortMessage: string; details?: string; hint?: string };

/** The worker's answer to one request. */
export type WorkerReply = { ok: true; result: WasmExecutionResult } | { ok: false; error: SerializedError };

type WasmErrorClass = new (message: string, params?: { details?: string; hint?: string }) => BaseError;

/** Turns an error thrown in the worker into a message (non-Concord errors become `WasmRunnerCrashedError`). */
export function serializeError(err: unknown): SerializedError {
  const e = err as Partial<BaseError>;
  if (typeof e?.name === 'string' && e.name in errors && typeof e.shortMessage === 'string') {
    return {
      name: e.name,
      shortMessage: e.shortMessage,
      ...(e.details ? { details: e.details } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    };
  }
  return {
    name: 'WasmRunnerCrashedError',
    shortMessage: 'The wasm runner failed unexpectedly.',
    details: String(err),
  };
}

/** Rebuilds the named error class on this side of the thread boundary. */
export function deserializeError(s: SerializedError): BaseError {
  const Cls = (errors as Record<string, WasmErrorClass>)[s.name] ?? errors.WasmRunnerCrashedError;
  return new Cls(s.shortMessage, {
    ...(s.details ? { details: s.details } : {}),
    ...(s.hint ? { hint: s.hint } : {}),
  });
}

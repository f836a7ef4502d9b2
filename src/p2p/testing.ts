import { generateKeyPair } from '@libp2p/crypto/keys';
import { BaseError } from '../core/errors.ts';
import { type ConcordHost, type CreateHostParameters, createHost } from './createHost.ts';

/** A condition a test waited for never held. */
export class WaitForTimeoutError extends BaseError {
  override name = 'WaitForTimeoutError';
}

/** Starts a loopback host for tests, with a fresh in-memory key unless one is given. */
export async function startTestHost(params: Partial<CreateHostParameters> = {}): Promise<ConcordHost> {
  return createHost({ privateKey: params.privateKey ?? (await generateKeyPair('Ed25519')), ...params });
}

/** Resolves once `check` holds, polling every 50 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new WaitForTimeoutError(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

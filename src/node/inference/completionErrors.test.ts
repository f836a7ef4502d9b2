import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayConfigError, InferShardUndecidedError, InferTimeoutError } from '../../inference/errors.ts';
import {
  CompletionError,
  generationFailure,
  HOSTS_RETRY_AFTER_SECONDS,
  RetryableCompletionError,
} from './completionErrors.ts';

const undecided = () => new InferShardUndecidedError('No answer for shard 0 of h.0.attn reached a majority.');

describe('generationFailure', () => {
  it('makes a shard undecided after failed host calls 503 HOSTS_UNAVAILABLE with Retry-After, naming the failures', () => {
    const failures = [
      { error: 'InferTransportError' },
      { error: 'InferTimeoutError' },
      { error: 'InferTransportError' },
    ];
    const err = generationFailure(undecided(), failures);
    assert.ok(err instanceof RetryableCompletionError);
    assert.equal(err.status, 503);
    assert.equal(err.code, 'HOSTS_UNAVAILABLE');
    assert.equal(err.retryAfterSeconds, HOSTS_RETRY_AFTER_SECONDS);
    assert.match(err.shortMessage, /InferTransportError ×2, InferTimeoutError ×1/);
    const noAddress = generationFailure(new GatewayConfigError('No address is known for host 0x1.'), []);
    assert.equal((noAddress as CompletionError).code, 'HOSTS_UNAVAILABLE');
  });

  it('makes a shard undecided among hosts that all answered 502 NO_CONSENSUS, another named error 502 INFERENCE_FAILED', () => {
    const split = generationFailure(undecided(), []);
    assert.ok(split instanceof CompletionError && !(split instanceof RetryableCompletionError));
    assert.equal(split.status, 502);
    assert.equal(split.code, 'NO_CONSENSUS');
    const other = generationFailure(new InferTimeoutError('The host did not answer within 10 ms.'), []);
    assert.equal((other as CompletionError).status, 502);
    assert.equal((other as CompletionError).code, 'INFERENCE_FAILED');
    assert.match((other as CompletionError).shortMessage, /InferTimeoutError/);
  });

  it('leaves an error without a name of ours as it is (an internal error, 500)', () => {
    const bug = new TypeError('x is undefined');
    assert.equal(generationFailure(bug, [{ error: 'InferTransportError' }]), bug);
  });
});

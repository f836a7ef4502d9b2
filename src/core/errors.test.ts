import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseError } from './errors.ts';

class ExampleProblemError extends BaseError {
  override name = 'ExampleProblemError';
}

test('BaseError carries name, code, details and hint', () => {
  const err = new ExampleProblemError('it broke', { details: 'x=1', hint: 'try y' });
  assert.equal(err.name, 'ExampleProblemError');
  assert.equal(err.code, 'EXAMPLE_PROBLEM');
  assert.equal(err.shortMessage, 'it broke');
  assert.match(err.message, /Details: x=1/);
  assert.match(err.message, /Hint: try y/);
  assert.ok(err instanceof BaseError);
});

test('walk finds a cause by predicate and the deepest cause without one', () => {
  const root = new Error('root');
  const mid = new ExampleProblemError('mid', { cause: root });
  const top = new BaseError('top', { cause: mid });
  assert.equal(
    top.walk((e) => e instanceof ExampleProblemError),
    mid,
  );
  assert.equal(top.walk(), root);
  assert.equal(
    top.walk(() => false),
    null,
  );
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DemoAnswer } from './askDemo.ts';
import { settlementLine } from './devnetDemo.ts';

const answer: DemoAnswer = {
  prompt: 'p',
  text: 'abc',
  tokens: 3,
  session: `0x${'ab'.repeat(32)}`,
  finishReason: 'length',
  settlement: null,
  gateway: `0x${'11'.repeat(20)}`,
  querier: `0x${'22'.repeat(20)}`,
  outvoted: [],
};

describe('settlementLine', () => {
  it('names the credits debited, the querier, the transaction and the slashed hosts', () => {
    const tx = `0x${'cd'.repeat(32)}` as const;
    assert.equal(
      settlementLine({ ...answer, settlement: { txHash: tx, credits: '3', slashed: [] } }),
      `settle   3 tokens, 3 credits debited from ${answer.querier} (tx ${tx}), no host slashed`,
    );
    const slashed = [{ host: answer.gateway, amount: '10', txHash: tx }];
    assert.match(
      settlementLine({ ...answer, settlement: { txHash: tx, credits: '3', slashed } }),
      /1 host\(s\) slashed$/,
    );
  });

  it('says why a session was not settled', () => {
    assert.equal(
      settlementLine({ ...answer, settlementError: 'ChainRevertError: out of credits' }),
      `settle   not settled: ChainRevertError: out of credits (session ${answer.session})`,
    );
  });
});

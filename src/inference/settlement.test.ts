import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, getAddress, type Hex, keccak256, toHex } from 'viem';
import {
  type InferenceRequest,
  matrixId,
  type StatementItem,
  sessionIdOf,
  type TalliedStatement,
} from '../chain/inferenceReceipt.ts';
import { buildSettlement, findEquivocations } from './settlement.ts';
import { TEST_DOMAIN } from './testing.ts';

const request: InferenceRequest = {
  querier: '0x00000000000000000000000000000000000000a1',
  gateway: '0x00000000000000000000000000000000000000a2',
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 3n,
  maxCredits: 1000n,
  nonce: 9n,
  deadline: 2n ** 40n,
};
const session = sessionIdOf(request);
const MATRIX = 'attn.c_attn';
const GOOD = keccak256(toHex('good'));
const BAD = keccak256(toHex('bad'));
/** Host i's address (ascending with i). */
const host = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);

/** One signed statement (signatures are not checked here) of host i over `items`, each marked won or lost. */
function statement(i: number, items: readonly [StatementItem, boolean][]): TalliedStatement {
  return {
    host: host(i),
    statement: { session, items: items.map(([item]) => item) },
    signature: `0x${'11'.repeat(65)}`,
    won: items.map(([, won]) => won),
  };
}
/** The input every answer of these sessions was given. */
const INPUT: Hex = `0x${'ee'.repeat(32)}`;
const item = (step: number, shard: number, digest: Hex): StatementItem => ({
  step,
  layer: 0,
  matrix: MATRIX,
  shard,
  input: INPUT,
  digest,
});
/** Host i answered shard 0 at `step`: right (won) or wrong (lost). */
const answer = (i: number, step: number, right: boolean) =>
  statement(i, [[item(step, 0, right ? GOOD : BAD), right]]);
const equal = (n: number) => new Map(Array.from({ length: n }, (_, i) => [host(i), 100n]));

describe('buildSettlement', () => {
  it('accuses an outvoted host with the signed winners of the same partial product', () => {
    const statements = [answer(0, 0, true), answer(1, 0, true), answer(2, 0, true)];
    statements.push(answer(2, 1, false), answer(1, 1, true), answer(0, 1, true));
    const { receipt, evidence } = buildSettlement({
      request,
      tokens: 2n,
      statements,
      domain: TEST_DOMAIN,
      stakes: equal(3),
      slashable: true,
    });
    assert.equal(receipt.results.length, 3);
    assert.equal(evidence.length, 1);
    const [e] = evidence;
    assert.equal(e!.session, session);
    assert.equal(e!.accused.host, host(2));
    assert.deepEqual(
      e!.majority.map((m) => m.host),
      [host(0), host(1)],
    );
    for (const s of [e!.accused, ...e!.majority]) {
      const picked = s.items[Number(s.index)]!;
      assert.equal(picked.step, 1n);
      assert.equal(picked.matrix, matrixId(MATRIX));
    }
    assert.equal(e!.accused.items[Number(e!.accused.index)]!.digest, BAD);
  });

  it('gives no evidence in tolerant mode, or when winners disagree on the digest', () => {
    const statements = [answer(0, 0, true), answer(1, 0, true), answer(2, 0, false)];
    const params = { request, tokens: 1n, statements, domain: TEST_DOMAIN, stakes: equal(3) };
    assert.equal(buildSettlement({ ...params, slashable: false }).evidence.length, 0);
    const tolerant = [
      statement(0, [[item(0, 0, GOOD), true]]),
      statement(1, [[item(0, 0, keccak256(toHex('close'))), true]]),
      answer(2, 0, false),
    ];
    assert.equal(buildSettlement({ ...params, statements: tolerant, slashable: true }).evidence.length, 0);
  });

  it('needs the winners to outweigh every host of the shard in the session, as the contract does', () => {
    // host 2 lies at step 0 and is replaced by host 3, which answers later steps only:
    // the shard then has four hosts, and two winners hold exactly half.
    const replaced = [answer(0, 0, true), answer(1, 0, true), answer(2, 0, false), answer(3, 1, true)];
    const params = { request, tokens: 2n, domain: TEST_DOMAIN, stakes: equal(4), slashable: true };
    assert.equal(buildSettlement({ ...params, statements: replaced }).evidence.length, 0);
    // with more stake behind the winners, the same answers convict
    const heavy = new Map([...equal(4), [host(0), 300n]]);
    assert.equal(buildSettlement({ ...params, statements: replaced, stakes: heavy }).evidence.length, 1);
  });

  it('picks, per accused host, the lost product with the widest majority', () => {
    // host 3 lies on shard 0 (three winners) and shard 1 (two winners); shard 1 also had host 4.
    const statements = [
      statement(3, [
        [item(0, 0, BAD), false],
        [item(0, 1, BAD), false],
      ]),
      statement(0, [
        [item(0, 0, GOOD), true],
        [item(0, 1, GOOD), true],
      ]),
      statement(1, [
        [item(0, 0, GOOD), true],
        [item(0, 1, GOOD), true],
      ]),
      statement(2, [[item(0, 0, GOOD), true]]),
      statement(4, [[item(1, 1, GOOD), true]]),
    ];
    const [e, ...rest] = findEquivocations(
      statements,
      buildSettlement({
        request,
        tokens: 1n,
        statements,
        domain: TEST_DOMAIN,
        stakes: equal(5),
        slashable: false,
      }).receipt.results,
      equal(5),
    );
    assert.equal(rest.length, 0);
    assert.equal(e!.accused.items[Number(e!.accused.index)]!.shard, 0);
    assert.equal(e!.majority.length, 3);
  });

  it('accuses exactly the losers whose product’s winners hold a strict stake majority of the shard (property)', () => {
    const scenario = fc.record({
      stakes: fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 3, maxLength: 6 }),
      // per step: which hosts answered and whether each was right
      steps: fc.array(fc.array(fc.tuple(fc.nat({ max: 5 }), fc.boolean()), { minLength: 1, maxLength: 6 }), {
        minLength: 1,
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(scenario, ({ stakes, steps }) => {
        const n = stakes.length;
        const stakeMap = new Map(stakes.map((s, i) => [host(i), s]));
        const statements: TalliedStatement[] = [];
        const answered = steps.map((answers, step) => {
          const seen = new Map<number, boolean>();
          for (const [h, right] of answers) if (h < n && !seen.has(h)) seen.set(h, right);
          for (const [h, right] of seen) statements.push(answer(h, step, right));
          return seen;
        });
        const { receipt, evidence } = buildSettlement({
          request,
          tokens: 1n,
          statements,
          domain: TEST_DOMAIN,
          stakes: stakeMap,
          slashable: true,
        });
        const shardHosts = new Set(answered.flatMap((seen) => [...seen.keys()]));
        assert.equal(receipt.results.length, shardHosts.size);
        const total = [...shardHosts].reduce((sum, h) => sum + stakes[h]!, 0n);
        const convictable = (seen: Map<number, boolean>) =>
          2n * [...seen].filter(([, right]) => right).reduce((sum, [h]) => sum + stakes[h]!, 0n) > total;
        const expected = new Set<Address>();
        for (const seen of answered) {
          if (!convictable(seen)) continue;
          for (const [h, right] of seen) if (!right) expected.add(host(h));
        }
        assert.deepEqual(new Set(evidence.map((e) => e.accused.host)), expected);
        for (const e of evidence) {
          const step = e.accused.items[Number(e.accused.index)]!.step;
          const seen = answered[Number(step)]!;
          assert.ok(convictable(seen));
          assert.deepEqual(
            e.majority.map((m) => m.host),
            [...seen]
              .filter(([, right]) => right)
              .map(([h]) => h)
              .sort((a, b) => a - b)
              .map(host),
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});

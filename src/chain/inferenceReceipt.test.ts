import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, getAddress, type Hex, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devAccount } from './devAccounts.ts';
import {
  buildReceipt,
  equivocationEvidence,
  type InferenceRequest,
  matrixId,
  type PartialProductsStatement,
  receiptForTokens,
  sessionIdOf,
  signRequest,
  signStatement,
  statementLeaf,
  statementProof,
  type TalliedStatement,
  verifyRequest,
  verifyStatement,
  votesRoot,
} from './inferenceReceipt.ts';
import { merkleProof, merkleRoot, verifyMerkleProof } from './voteMerkle.ts';

const DOMAIN = { chainId: 31337, settlement: getAddress(`0x${'5e'.repeat(20)}`) };
const CREDITS = { chainId: 31337, accessCredits: getAddress(`0x${'ac'.repeat(20)}`) };
const REQUEST: InferenceRequest = {
  querier: devAccount(4).address,
  gateway: devAccount(5).address,
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 2n,
  maxCredits: 100n,
  nonce: 1n,
  deadline: 2_000_000_000n,
};
const SESSION = sessionIdOf(REQUEST);
const key = (i: number) => privateKeyToAccount(devAccount(i).privateKey);
const h = (text: string): Hex => keccak256(toHex(text));
/** The input every answer in these tests was given. */
const INPUT: Hex = h('input');
const statement = (
  step: number,
  digests: readonly Hex[],
  session: Hex = SESSION,
): PartialProductsStatement => ({
  session,
  items: digests.map((digest, shard) => ({
    step,
    layer: 0,
    matrix: 'attn.c_attn',
    shard,
    input: INPUT,
    digest,
  })),
});
const tallied = (i: number, s: PartialProductsStatement, won: readonly boolean[]): TalliedStatement => ({
  host: devAccount(i).address,
  statement: s,
  signature: `0x${String(i).repeat(130)}`,
  won,
});

describe('vote Merkle tree', () => {
  it('every leaf has a proof to the root, whatever the leaf order or duplicates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 40 }),
        (raw) => {
          const leaves = raw.map((b) => toHex(b));
          const root = merkleRoot(leaves);
          assert.equal(merkleRoot([...leaves].reverse().concat(leaves[0]!)), root);
          for (const leaf of leaves) {
            const proof = merkleProof(leaves, leaf);
            assert.ok(proof);
            assert.ok(verifyMerkleProof(proof, root, leaf));
          }
          assert.equal(merkleProof(leaves, h('not a leaf')), undefined);
          assert.equal(verifyMerkleProof(merkleProof(leaves, leaves[0]!)!, root, h('not a leaf')), false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('has the zero root for no leaves and the leaf itself for one', () => {
    assert.equal(merkleRoot([]), `0x${'00'.repeat(32)}`);
    assert.equal(merkleRoot([h('a')]), h('a'));
  });
});

describe('statements and requests', () => {
  it('a host signature verifies for its statement only, in its domain only', async () => {
    const st = statement(0, [h('a'), h('b')]);
    const signature = await signStatement(key(1), st, DOMAIN);
    const host = devAccount(1).address;
    assert.equal(await verifyStatement({ host, statement: st, signature }, DOMAIN), true);
    assert.equal(
      await verifyStatement({ host: devAccount(2).address, statement: st, signature }, DOMAIN),
      false,
    );
    const swapped = statement(0, [h('a'), h('c')]);
    assert.equal(await verifyStatement({ host, statement: swapped, signature }, DOMAIN), false);
    assert.equal(
      await verifyStatement({ host, statement: statement(1, [h('a'), h('b')]), signature }, DOMAIN),
      false,
    );
    for (const other of [
      { ...DOMAIN, chainId: 1 },
      { ...DOMAIN, settlement: CREDITS.accessCredits },
      { chainId: DOMAIN.chainId }, // off chain: no settlement contract
    ]) {
      assert.equal(await verifyStatement({ host, statement: st, signature }, other), false);
    }
    assert.equal(await verifyStatement({ host, statement: st, signature: '0x1234' }, DOMAIN), false);
  });

  it('rejects statements whose fields do not fit the contract types', async () => {
    const ok = statement(0, [h('a')]);
    const item = ok.items[0]!;
    for (const bad of [
      { ...ok, items: [{ ...item, step: -1 }] },
      { ...ok, session: '0x12' as Hex },
      { ...ok, items: [{ ...item, layer: 2 ** 31 }] },
      { ...ok, items: [{ ...item, shard: 1.5 }] },
      { ...ok, items: [{ ...item, digest: '0x12' as Hex }] },
    ]) {
      await assert.rejects(signStatement(key(1), bad, DOMAIN), { name: 'InvalidStatementError' });
      assert.throws(
        () => statementLeaf({ host: devAccount(1).address, statement: bad, signature: '0x' }, DOMAIN),
        {
          name: 'InvalidStatementError',
        },
      );
    }
  });

  it('a request signature verifies for the querier and that exact request', async () => {
    const signature = await signRequest(key(4), REQUEST, CREDITS);
    assert.equal(await verifyRequest(REQUEST, signature, CREDITS), true);
    assert.equal(await verifyRequest({ ...REQUEST, creditsPerToken: 3n }, signature, CREDITS), false);
    assert.equal(await verifyRequest(REQUEST, await signRequest(key(5), REQUEST, CREDITS), CREDITS), false);
    assert.notEqual(sessionIdOf({ ...REQUEST, nonce: 2n }), SESSION);
  });
});

describe('buildReceipt', () => {
  it('tallies wins and losses per shard and host, sorted, with the votes root', () => {
    const statements = [
      tallied(3, statement(0, [h('g0'), h('g1')]), [true, true]),
      tallied(1, statement(0, [h('x'), h('g1')]), [false, true]),
      tallied(2, statement(0, [h('g0'), h('g1')]), [true, true]),
      tallied(2, statement(1, [h('g0')]), [true]),
    ];
    const receipt = buildReceipt({ request: REQUEST, tokens: 2n, statements, domain: DOMAIN });
    const hosts = [1, 2, 3]
      .map((i) => devAccount(i).address)
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const expected = (shard: number, a: Address) => {
      const wins = { 0: { 1: 0, 2: 2, 3: 1 }, 1: { 1: 1, 2: 1, 3: 1 } } as const;
      const i = [1, 2, 3].find((n) => devAccount(n).address === a) as 1 | 2 | 3;
      return [0, matrixId('attn.c_attn'), shard, a, wins[shard as 0 | 1][i], shard === 0 && i === 1 ? 1 : 0];
    };
    assert.deepEqual(
      receipt.results.map((r) => [r.layer, r.matrix, r.shard, r.host, r.wins, r.losses]),
      [0, 1].flatMap((shard) => hosts.map((a) => expected(shard, a))),
    );
    assert.equal(receipt.votesRoot, votesRoot(statements, DOMAIN));
    assert.equal(receipt.votesRoot, votesRoot([...statements].reverse(), DOMAIN));
    const proof = statementProof(statements, statements[1]!, DOMAIN);
    assert.ok(proof && verifyMerkleProof(proof, receipt.votesRoot, statementLeaf(statements[1]!, DOMAIN)));
  });

  it('bills fewer tokens with receiptForTokens: wins capped at them, the rest unchanged', () => {
    const statements = [0, 1, 2].flatMap((step) => [
      tallied(1, statement(step, [h('a')]), [true]),
      tallied(2, statement(step, [h(step === 2 ? 'b' : 'a')]), [step !== 2]),
    ]);
    const full = buildReceipt({ request: REQUEST, tokens: 3n, statements, domain: DOMAIN });
    const winsOf = (r: typeof full) => Object.fromEntries(r.results.map((x) => [x.host, x.wins]));
    assert.deepEqual(winsOf(full), { [devAccount(1).address]: 3, [devAccount(2).address]: 2 });
    const one = receiptForTokens(full, 1n);
    assert.equal(one.tokens, 1n);
    assert.equal(one.votesRoot, full.votesRoot);
    assert.deepEqual(
      one.results,
      full.results.map((r) => ({ ...r, wins: 1 })),
    );
    assert.deepEqual(winsOf(receiptForTokens(full, 0n)), {
      [devAccount(1).address]: 0,
      [devAccount(2).address]: 0,
    });
    assert.deepEqual(receiptForTokens(full, 3n), full);
  });

  it('refuses answers of another session and outcome lists of the wrong length', () => {
    const foreign = tallied(1, statement(0, [h('a')], h('other session')), [true]);
    const short = tallied(1, statement(0, [h('a'), h('b')]), [true]);
    for (const s of [foreign, short]) {
      assert.throws(() => buildReceipt({ request: REQUEST, tokens: 1n, statements: [s], domain: DOMAIN }), {
        name: 'InconsistentStatementsError',
      });
    }
  });
});

describe('equivocationEvidence', () => {
  const KEY = { step: 4, layer: 0, matrix: 'attn.c_attn', shard: 1, input: INPUT };
  it('picks the item of the key in every answer and sorts the majority by address', () => {
    const bad = tallied(3, statement(4, [h('g0'), h('bad')]), [true, false]);
    const majority = [
      tallied(2, statement(4, [h('g0'), h('g1')]), [true, true]),
      tallied(1, statement(4, [h('g0'), h('g1')]), [true, true]),
    ];
    const e = equivocationEvidence(KEY, bad, majority);
    assert.equal(e.session, SESSION);
    assert.equal(e.accused.host, devAccount(3).address);
    assert.equal(e.accused.index, 1n);
    assert.equal(e.accused.items[1]!.digest, h('bad'));
    assert.equal(e.accused.items[1]!.step, 4n);
    assert.deepEqual(
      e.majority.map((m) => m.host),
      [1, 2].map((i) => devAccount(i).address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
  });

  it('refuses no majority, other steps or shards, split digests, duplicates and an agreeing accused', () => {
    const bad = tallied(3, statement(4, [h('g0'), h('bad')]), [true, false]);
    const good = (i: number, step = 4, digests = [h('g0'), h('g1')]) =>
      tallied(i, statement(step, digests), [true, true]);
    const cases = [
      [bad, []],
      [bad, [good(1), good(2, 5)]],
      [bad, [good(1), good(2, 4, [h('g0')])]],
      [bad, [good(1), good(2, 4, [h('g0'), h('g2')])]],
      [bad, [good(1), good(1)]],
      [good(3), [good(1)]],
    ] as const;
    for (const [accused, majority] of cases) {
      assert.throws(() => equivocationEvidence(KEY, accused, majority), {
        name: 'InconsistentStatementsError',
      });
    }
  });
});

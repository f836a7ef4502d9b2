import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Address, type Hex, parseEther, parseEventLogs, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  accessCreditsAbi,
  concordTokenAbi,
  inferenceSettlementAbi,
  inferenceSettlementBytecode,
  modelRegistryAbi,
  nodeRegistryAbi,
  sharesAbi,
} from '../../generated/contracts/index.ts';
import { settleSession } from '../../src/chain/actions/settleSession.ts';
import { slashEquivocation } from '../../src/chain/actions/slashEquivocation.ts';
import type { ConcordContext } from '../../src/chain/context.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { sendAs } from '../../src/chain/devRpc.ts';
import {
  buildReceipt,
  type Evidence,
  equivocationEvidence,
  hashStatement,
  type InferenceReceipt,
  type InferenceRequest,
  matrixId,
  type PartialProductsStatement,
  type ProductKey,
  type SignedStatement,
  sessionIdOf,
  shardArtifactId,
  signRequest,
  signStatement,
  statementLeaf,
  statementProof,
  type TalliedStatement,
  toChainItem,
  toChainStatement,
  voucherOf,
} from '../../src/chain/inferenceReceipt.ts';
import {
  account,
  approveAll,
  balanceOf,
  expectRevert,
  id32,
  isolated,
  now,
  read,
  registerNode,
  send,
  startTestChain,
  type TestChain,
} from './harness.ts';

const HOSTS = [1, 2, 3] as const;
const LIAR = 3;
const QUERIER = 4;
const GATEWAY = 5;
const OUTSIDER = 6;
/** Holds the one share unit that lets the querier buy credits. */
const MINTER = 9;
const STAKE = parseEther('100');
const SLASH = parseEther('100'); // the whole stake, so a second slash finds nothing
const UNITS_PER_CREDIT = 1000n;
const GENESIS = id32('tiny-gpt genesis');
const GOOD = id32('good rows');
const BAD = id32('bad rows');
/** The activations every host was given (answers to another input cannot contradict these). */
const INPUT = id32('input');
const MATRIX = 'attn.c_attn';
/** The partial product the liar gets wrong: shard 0 of layer 0's attn.c_attn at step 1. */
const KEY: ProductKey = { step: 1, layer: 0, matrix: MATRIX, shard: 0, input: INPUT };
/** The step of a statement (each test statement answers one step). */
const stepOf = (s: SignedStatement) => s.statement.items[0]!.step;

describe('InferenceSettlement', () => {
  let chain: TestChain;
  let settlement: Address;
  let chainId: number;
  const ctx = (i: number): ConcordContext => ({ ...chain.clients[i]!, addresses: chain.addresses });
  const view = <T>(fn: string, args: readonly unknown[] = []) =>
    read<T>(chain, settlement, inferenceSettlementAbi, fn, args);
  /** The credits querier `i` locked for the gateway. */
  const creditsOf = async (i: number) => {
    const d = await read<{ granted: bigint; bought: bigint }>(
      chain,
      chain.addresses.accessCredits,
      accessCreditsAbi,
      'depositOf',
      [account(i), account(GATEWAY)],
    );
    return d.granted + d.bought;
  };
  const shardUnits = (i: number, shard: number) =>
    read<bigint>(chain, chain.addresses.shares, sharesAbi, 'balanceOf', [
      account(i),
      shardArtifactId(GENESIS, 0, MATRIX, shard),
    ]);
  const signer = (i: number) => privateKeyToAccount(devAccount(i).privateKey);
  const creditsDomain = () => ({ chainId, accessCredits: chain.addresses.accessCredits });
  const voteDomain = () => ({ chainId, settlement });

  const request = async (overrides: Partial<InferenceRequest> = {}): Promise<InferenceRequest> => ({
    querier: account(QUERIER),
    gateway: account(GATEWAY),
    modelId: 1n,
    versionIndex: 0n,
    creditsPerToken: 3n,
    maxCredits: 100n,
    nonce: 7n,
    deadline: (await now(chain)) + 600n,
    ...overrides,
  });
  const signed = async (i: number, statement: PartialProductsStatement): Promise<SignedStatement> => ({
    host: account(i),
    statement,
    signature: await signStatement(signer(i), statement, voteDomain()),
  });
  /**
   * A session of two matrix products (steps 0 and 1) over two shards of layer 0's attn.c_attn;
   * hosts 1..3 each answer both shards in one signed statement per step, all agreeing except the
   * liar on shard 0 at step 1.
   */
  const session = async (req: InferenceRequest): Promise<TalliedStatement[]> => {
    const statements: TalliedStatement[] = [];
    for (const step of [0, 1]) {
      for (const i of HOSTS) {
        const lies = i === LIAR && step === 1;
        const items = [0, 1].map((shard) => ({
          step,
          layer: 0,
          matrix: MATRIX,
          shard,
          input: INPUT,
          digest: lies && shard === 0 ? BAD : GOOD,
        }));
        const s = await signed(i, { session: sessionIdOf(req), items });
        statements.push({ ...s, won: [!lies, true] });
      }
    }
    return statements;
  };
  const receiptOf = (req: InferenceRequest, statements: readonly TalliedStatement[], tokens = 20n) =>
    buildReceipt({ request: req, tokens, statements, domain: voteDomain() });
  const settle = async (req: InferenceRequest, receipt?: InferenceReceipt) => {
    const built = receipt ?? receiptOf(req, await session(req));
    const querierSignature = await signRequest(signer(QUERIER), req, creditsDomain());
    return { built, ...(await settleSession(ctx(GATEWAY), { receipt: built, querierSignature })) };
  };
  const settleRaw = async (from: number, receipt: InferenceReceipt, signature: Hex) =>
    await send(chain, from, settlement, inferenceSettlementAbi, 'settleSession', [receipt, signature]);
  /** The liar's answer at step 1 and the honest hosts' answers to it. */
  const evidenceOf = (statements: readonly TalliedStatement[]): Evidence => {
    const step1 = statements.filter((s) => stepOf(s) === 1);
    const bad = step1.find((s) => s.host === account(LIAR));
    assert.ok(bad);
    return equivocationEvidence(
      KEY,
      bad,
      step1.filter((s) => s !== bad),
    );
  };
  const slashRaw = (from: number, evidence: Evidence, receipt: InferenceReceipt) =>
    send(chain, from, settlement, inferenceSettlementAbi, 'slashEquivocation', [evidence, receipt.results]);

  before(async () => {
    chain = await startTestChain({
      unitsPerCredit: UNITS_PER_CREDIT,
      equivocationSlash: SLASH,
    });
    settlement = chain.addresses.inferenceSettlement;
    chainId = chain.clients[0]!.chain.id;
    for (const i of [...HOSTS, GATEWAY]) await registerNode(chain, i, STAKE);
    await send(chain, 0, chain.addresses.modelRegistry, modelRegistryAbi, 'createModel', [
      'tiny-gpt',
      GENESIS,
    ]);
    // Credits can be bought only while share units exist: mint one unit first, as TaskMarket would.
    await sendAs(chain.clients[0]!, chain.addresses.taskMarket, {
      address: chain.addresses.shares,
      abi: sharesAbi,
      functionName: 'mint',
      args: [account(MINTER), 1n, 1n],
    });
    await approveAll(chain, QUERIER, chain.addresses.accessCredits);
    await send(chain, QUERIER, chain.addresses.accessCredits, accessCreditsAbi, 'buyCredits', [1000n]);
    await send(chain, QUERIER, chain.addresses.accessCredits, accessCreditsAbi, 'deposit', [
      account(GATEWAY),
      1000n,
    ]);
  });
  after(async () => {
    await chain?.stop();
  });

  it('is wired at deployment: settler of credits, minter of shares, slasher of the registry', async () => {
    const a = chain.addresses;
    assert.equal(await read(chain, a.accessCredits, accessCreditsAbi, 'isSettler', [settlement]), true);
    assert.equal(await read(chain, a.shares, sharesAbi, 'isMinter', [settlement]), true);
    assert.equal(await read(chain, a.registry, nodeRegistryAbi, 'isSlasher', [settlement]), true);
    const config = await view<readonly unknown[]>('config');
    assert.deepEqual(config.slice(5), [UNITS_PER_CREDIT, SLASH]);
  });

  it('the TypeScript hashes equal the contract’s (session id, voucher, statement digest, leaf, artifact id)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          modelId: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
          nonce: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
          items: fc.array(
            fc.record({
              step: fc.nat(),
              layer: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
              matrix: fc.string({ maxLength: 20 }),
              shard: fc.nat({ max: 0xffff_ffff }),
              input: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
              digest: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        }),
        async ({ modelId, nonce, items }) => {
          const req = await request({ modelId, nonce });
          const statement = { session: sessionIdOf(req), items };
          const s = await signed(1, statement);
          const chainStatement = {
            host: s.host,
            items: items.map(toChainItem),
            index: 0n,
            signature: s.signature,
          };
          assert.equal(await view('sessionIdOf', [req]), sessionIdOf(req));
          assert.deepEqual(await view('voucherOf', [req]), voucherOf(req));
          assert.equal(
            await view('hashStatement', [statement.session, items.map(toChainItem)]),
            hashStatement(statement, voteDomain()),
          );
          assert.equal(
            await view('statementLeaf', [statement.session, chainStatement]),
            statementLeaf(s, voteDomain()),
          );
          const it0 = items[0]!;
          assert.equal(
            await view('shardArtifactId', [it0.digest, it0.layer, matrixId(it0.matrix), it0.shard]),
            shardArtifactId(it0.digest, it0.layer, it0.matrix, it0.shard),
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('settleSession debits tokens × price, mints the bought credits’ units split by wins, records the votes root', () =>
    isolated(chain, async () => {
      const req = await request();
      const statements = await session(req);
      const creditsBefore = await creditsOf(QUERIER);
      const { built, session: id, credits, receipt } = await settle(req, receiptOf(req, statements));
      assert.equal(id, sessionIdOf(req));
      assert.equal(credits, 60n);
      assert.equal(await creditsOf(QUERIER), creditsBefore - 60n); // credit conservation
      assert.equal(
        await read(chain, chain.addresses.accessCredits, accessCreditsAbi, 'isNonceUsed', [
          account(QUERIER),
          account(GATEWAY),
          BigInt(id),
        ]),
        true,
      );
      // Shard 0: hosts 1, 2 won both steps, the liar one; shard 1: everybody won both: 11 wins
      // share the 60 bought credits' units.
      const pool = 60n * UNITS_PER_CREDIT;
      assert.equal(await shardUnits(1, 0), (pool * 2n) / 11n);
      assert.equal(await shardUnits(LIAR, 0), pool / 11n);
      assert.equal(await shardUnits(LIAR, 1), (pool * 2n) / 11n);
      const hosts = HOSTS.map((i) => account(i)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      assert.deepEqual(
        built.results.map((r) => [r.shard, r.host, r.wins, r.losses]),
        [0, 1].flatMap((shard) =>
          hosts.map((h) => [
            shard,
            h,
            h === account(LIAR) && shard === 0 ? 1 : 2,
            h === account(LIAR) && shard === 0 ? 1 : 0,
          ]),
        ),
      );
      const [event] = parseEventLogs({
        abi: inferenceSettlementAbi,
        logs: receipt.logs,
        eventName: 'SessionSettled',
      });
      assert.equal(event?.args.votesRoot, built.votesRoot);
      assert.equal(event?.args.tokens, 20n);
      const stored = await view<{ querier: Address; settledBlock: bigint; votesRoot: Hex }>('getSession', [
        id,
      ]);
      assert.equal(stored.querier, account(QUERIER));
      assert.equal(stored.settledBlock, receipt.blockNumber);
      // Every signed answer is provably in the recorded root; an altered one is not.
      const chainStatement = (st: SignedStatement) => ({
        host: st.host,
        items: st.statement.items.map(toChainItem),
        index: 0n,
        signature: st.signature,
      });
      for (const st of [statements[0]!, statements[5]!]) {
        const proof = statementProof(statements, st, voteDomain());
        assert.equal(await view('isStatementRecorded', [id, chainStatement(st), proof]), true);
      }
      const first = statements[0]!;
      const altered = {
        ...first,
        statement: { ...first.statement, items: first.statement.items.map((it) => ({ ...it, step: 9 })) },
      };
      const proof0 = statementProof(statements, statements[0]!, voteDomain());
      assert.equal(await view('isStatementRecorded', [id, chainStatement(altered), proof0]), false);
    }));

  it('conserves credits and mints the bought credits’ units split by wins (each ≤ tokens) for random receipts', async () => {
    let nonce = 100n;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          tokens: fc.bigInt({ min: 0n, max: 33n }),
          answers: fc.array(
            fc.record({
              host: fc.constantFrom(...HOSTS),
              step: fc.nat({ max: 3 }),
              won: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
            }),
            { maxLength: 12 },
          ),
        }),
        async ({ tokens, answers }) =>
          await isolated(chain, async () => {
            const req = await request({ nonce: nonce++ });
            const statements = answers.map(({ host, step, won }) => ({
              host: account(host),
              statement: {
                session: sessionIdOf(req),
                items: won.map((_, shard) => ({
                  step,
                  layer: 0,
                  matrix: MATRIX,
                  shard,
                  input: INPUT,
                  digest: GOOD,
                })),
              },
              signature: '0x' as Hex, // settlement does not check answers' signatures, only slashing does
              won,
            }));
            const units = () => read<bigint>(chain, chain.addresses.shares, sharesAbi, 'totalUnits', []);
            const [creditsBefore, unitsBefore] = [await creditsOf(QUERIER), await units()];
            const { built, credits } = await settle(req, receiptOf(req, statements, tokens));
            assert.equal(
              built.results.reduce((n, r) => n + r.losses, 0),
              answers.reduce((n, a) => n + a.won.filter((w) => !w).length, 0),
            );
            assert.ok(built.results.every((r) => BigInt(r.wins) <= tokens));
            const wins = built.results.reduce((n, r) => n + BigInt(r.wins), 0n);
            const pool = credits * UNITS_PER_CREDIT;
            const minted = built.results.reduce(
              (n, r) => n + (wins === 0n ? 0n : (pool * BigInt(r.wins)) / wins),
              0n,
            );
            assert.equal(credits, tokens * 3n);
            assert.equal(await creditsOf(QUERIER), creditsBefore - credits);
            assert.equal(await units(), unitsBefore + minted);
            assert.ok(minted <= pool);
          }),
      ),
      { numRuns: 8 },
    );
  });

  it('refuses a replayed session, a caller other than the gateway and a malformed receipt', () =>
    isolated(chain, async () => {
      const req = await request();
      const { built } = await settle(req);
      const signature = await signRequest(signer(QUERIER), req, creditsDomain());
      await expectRevert(settleRaw(GATEWAY, built, signature), 'SettlementSessionAlreadySettled');
      const other = await request({ nonce: 8n });
      const otherReceipt = receiptOf(other, await session(other), 1n);
      const otherSig = await signRequest(signer(QUERIER), other, creditsDomain());
      await expectRevert(settleRaw(OUTSIDER, otherReceipt, otherSig), 'SettlementNotGateway');
      const unsorted = { ...otherReceipt, results: [...otherReceipt.results].reverse() };
      await expectRevert(settleRaw(GATEWAY, unsorted, otherSig), 'SettlementInvalidReceipt');
      const duplicate = { ...otherReceipt, results: [otherReceipt.results[0]!, otherReceipt.results[0]!] };
      await expectRevert(settleRaw(GATEWAY, duplicate, otherSig), 'SettlementInvalidReceipt');
      const zeroHost = {
        ...otherReceipt,
        results: [{ ...otherReceipt.results[0]!, host: `0x${'00'.repeat(20)}` as Address }],
      };
      await expectRevert(settleRaw(GATEWAY, zeroHost, otherSig), 'SettlementInvalidReceipt');
      const noVersion = await request({ nonce: 9n, versionIndex: 5n });
      const noVersionReceipt = receiptOf(noVersion, [], 1n);
      const noVersionSig = await signRequest(signer(QUERIER), noVersion, creditsDomain());
      await expectRevert(settleRaw(GATEWAY, noVersionReceipt, noVersionSig), 'ModelVersionNotFound');
    }));

  it('refuses a querier without enough credits, a forged or altered request, a used-up cap', () =>
    isolated(chain, async () => {
      const poor = await request({ querier: account(OUTSIDER) });
      await expectRevert(
        settleRaw(
          GATEWAY,
          receiptOf(poor, [], 1n),
          await signRequest(signer(OUTSIDER), poor, creditsDomain()),
        ),
        'CreditsInsufficient',
      );
      const req = await request();
      const receipt = receiptOf(req, []);
      // Signed by someone else than the querier.
      await expectRevert(
        settleRaw(GATEWAY, receipt, await signRequest(signer(GATEWAY), req, creditsDomain())),
        'CreditsBadSignature',
      );
      // The gateway raises the price after the querier signed: the session id, hence the voucher, changes.
      const signature = await signRequest(signer(QUERIER), req, creditsDomain());
      const dearer = { ...receipt, request: { ...req, creditsPerToken: 4n } };
      await expectRevert(settleRaw(GATEWAY, dearer, signature), 'CreditsBadSignature');
      // More tokens than the cap allows.
      await expectRevert(
        settleRaw(GATEWAY, { ...receipt, tokens: 34n }, signature),
        'CreditsVoucherExceeded',
      );
      assert.equal(await creditsOf(QUERIER), 1000n);
    }));

  it('slashes a host contradicted by a stake-majority of its shard for the same input; the stake is locked, tokens conserved', () =>
    isolated(chain, async () => {
      const req = await request();
      const statements = await session(req);
      const { built } = await settle(req, receiptOf(req, statements));
      const evidence = evidenceOf(statements);
      const watched = [
        account(1),
        account(2),
        account(LIAR),
        account(OUTSIDER),
        chain.addresses.registry,
        settlement,
      ];
      const before = await Promise.all(watched.map((a) => balanceOf(chain, a)));
      const supply = await read<bigint>(chain, chain.addresses.token, concordTokenAbi, 'totalSupply');
      const { slashed } = await slashEquivocation(ctx(OUTSIDER), { evidence, results: built.results });
      assert.equal(slashed, SLASH);
      const afterBalances = await Promise.all(watched.map((a) => balanceOf(chain, a)));
      const delta = afterBalances.map((b, i) => b - before[i]!);
      // Nobody gains from a slash: the stake is locked in the settlement contract.
      assert.deepEqual(delta, [0n, 0n, 0n, 0n, -SLASH, SLASH]);
      assert.equal(
        delta.reduce((a, b) => a + b, 0n),
        0n,
      );
      assert.equal(await read(chain, chain.addresses.token, concordTokenAbi, 'totalSupply'), supply);
      assert.equal(
        await read(chain, chain.addresses.registry, nodeRegistryAbi, 'slashableOf', [account(LIAR)]),
        0n,
      );
      assert.equal(await view('isSlashed', [sessionIdOf(req), account(LIAR)]), true);
      await expectRevert(slashRaw(OUTSIDER, evidence, built), 'SettlementAlreadySlashed');
      // A later session: the liar lies again, but has no stake left to take.
      const next = await request({ nonce: 8n });
      const nextStatements = await session(next);
      const nextReceipt = (await settle(next, receiptOf(next, nextStatements, 1n))).built;
      await expectRevert(
        slashRaw(OUTSIDER, evidenceOf(nextStatements), nextReceipt),
        'SettlementNothingToSlash',
      );
    }));

  it('slashes from answers sealed per token: one signature over both steps, the index picks the item', () =>
    isolated(chain, async () => {
      const req = await request();
      const perStep = await session(req);
      const sealed = await Promise.all(
        HOSTS.map(async (i) => {
          const mine = perStep.filter((s) => s.host === account(i));
          const items = mine.flatMap((s) => s.statement.items);
          return {
            ...(await signed(i, { session: sessionIdOf(req), items })),
            won: mine.flatMap((s) => [...s.won]),
          };
        }),
      );
      const { built } = await settle(req, receiptOf(req, sealed));
      const evidence = equivocationEvidence(
        KEY,
        sealed.find((s) => s.host === account(LIAR))!,
        sealed.filter((s) => s.host !== account(LIAR)),
      );
      assert.equal(evidence.accused.index, 2n); // items: step 0 shards 0, 1, then step 1 shards 0, 1
      const { slashed } = await slashEquivocation(ctx(OUTSIDER), { evidence, results: built.results });
      assert.equal(slashed, SLASH);
    }));

  it('does not slash with insufficient, forged or mismatched evidence', () =>
    isolated(chain, async () => {
      const req = await request();
      const statements = await session(req);
      const { built } = await settle(req, receiptOf(req, statements));
      const evidence = evidenceOf(statements);
      const [first, second] = evidence.majority as [
        Evidence['majority'][number],
        Evidence['majority'][number],
      ];
      const slash = (e: Evidence, results = built.results) => slashRaw(OUTSIDER, e, { ...built, results });
      // One of three equal stakes is no majority.
      const args = await expectRevert(slash({ ...evidence, majority: [first] }), 'SettlementNoMajority');
      assert.deepEqual(args, [STAKE, 3n * STAKE]);
      await expectRevert(slash({ ...evidence, majority: [] }), 'SettlementInvalidEvidence');
      // A majority signature made by another key, or over other items than claimed.
      const forged = await signStatement(signer(OUTSIDER), statements[0]!.statement, voteDomain());
      await expectRevert(
        slash({ ...evidence, majority: [{ ...first, signature: forged }, second] }),
        'SettlementBadSignature',
      );
      const otherDigest = first.items.map((it, i) => (i === 1 ? { ...it, digest: BAD } : it));
      await expectRevert(
        slash({ ...evidence, majority: [{ ...first, items: otherDigest }, second] }),
        'SettlementBadSignature',
      );
      // The accused's signature does not cover a claimed digest it never signed.
      const framed = evidence.accused.items.map((it, i) =>
        i === 0 ? { ...it, digest: id32('framed') } : it,
      );
      await expectRevert(
        slash({ ...evidence, accused: { ...evidence.accused, items: framed } }),
        'SettlementBadSignature',
      );
      // Statements of another step (the honest hosts' step-0 answers agree with the liar's step-0 one).
      const step0 = (m: Evidence['majority'][number]) =>
        toChainStatement({ ...KEY, step: 0 }, statements.find((s) => s.host === m.host && stepOf(s) === 0)!);
      await expectRevert(
        slash({ ...evidence, majority: evidence.majority.map(step0) }),
        'SettlementInvalidEvidence',
      );
      await expectRevert(
        slash({ ...evidence, majority: [first, { ...second, index: 1n }] }),
        'SettlementInvalidEvidence',
      );
      await expectRevert(
        slash({ ...evidence, majority: [first, { ...second, index: 5n }] }),
        'SettlementInvalidEvidence',
      );
      await expectRevert(slash({ ...evidence, majority: [second, first] }), 'SettlementInvalidEvidence');
      // An outsider who signed the good digest did not serve the shard.
      const outsider = await signed(
        OUTSIDER,
        statements.find((s) => s.host === account(1) && stepOf(s) === 1)!.statement,
      );
      const step1 = statements.filter((s) => stepOf(s) === 1);
      const withOutsider = equivocationEvidence(KEY, step1.find((s) => s.host === account(LIAR))!, [
        ...step1.filter((s) => s.host !== account(LIAR)),
        outsider,
      ]);
      await expectRevert(slash(withOutsider), 'SettlementNotShardHost');
      // Results that are not the settled ones, and a session never settled.
      await expectRevert(slash(evidence, built.results.slice(1)), 'SettlementResultsMismatch');
      await expectRevert(slash({ ...evidence, session: id32('no session') }), 'SettlementSessionUnknown');
      assert.equal(await view('isSlashed', [sessionIdOf(req), account(LIAR)]), false);
    }));

  it('weighs by stake at settlement: a host holding most of the shard’s stake is not outvoted by more hosts', () =>
    isolated(chain, async () => {
      await send(chain, LIAR, chain.addresses.registry, nodeRegistryAbi, 'stake', [3n * STAKE]);
      const req = await request();
      const statements = await session(req);
      const { built } = await settle(req, receiptOf(req, statements));
      // Staking more after the settlement changes nothing: the stakes of the block before it count.
      await send(chain, 1, chain.addresses.registry, nodeRegistryAbi, 'stake', [10n * STAKE]);
      const args = await expectRevert(
        slashRaw(OUTSIDER, evidenceOf(statements), built),
        'SettlementNoMajority',
      );
      assert.deepEqual(args, [2n * STAKE, 6n * STAKE]);
    }));

  it('an accused that did not serve the shard, or is also in the majority, is not slashable', () =>
    isolated(chain, async () => {
      const req = await request();
      const statements = await session(req);
      // The receipt leaves the liar out: it served no shard of this session.
      const withoutLiar = receiptOf(
        req,
        statements.filter((s) => s.host !== account(LIAR)),
        1n,
      );
      await settle(req, withoutLiar);
      await expectRevert(slashRaw(OUTSIDER, evidenceOf(statements), withoutLiar), 'SettlementNotShardHost');
      // The accused also signing the majority digest cannot count for the majority.
      const e = evidenceOf(statements);
      const liarGood = await signed(
        LIAR,
        statements.find((s) => s.host === account(1) && stepOf(s) === 1)!.statement,
      );
      const sorted = equivocationEvidence(
        KEY,
        statements.find((s) => s.host === account(LIAR) && !s.won[0])!,
        [...statements.filter((s) => stepOf(s) === 1 && s.host !== account(LIAR)), liarGood],
      );
      assert.equal(sorted.majority.length, e.majority.length + 1);
      await expectRevert(slashRaw(OUTSIDER, sorted, withoutLiar), 'SettlementInvalidEvidence');
    }));

  it('refuses invalid constructor parameters', async () => {
    const deploy = (unitsPerCredit: bigint) =>
      chain.clients[0]!.walletClient.deployContract({
        abi: inferenceSettlementAbi,
        bytecode: inferenceSettlementBytecode,
        args: [
          chain.addresses.accessCredits,
          chain.addresses.shares,
          chain.addresses.registry,
          chain.addresses.modelRegistry,
          unitsPerCredit,
          1n,
        ],
      });
    await expectRevert(deploy(0n), 'SettlementInvalidParams');
  });
});

// Attacks on the inference economy (issue 15, findings 1, 6 and 9), each written as the attack:
// it failed on the code before the fix and passes after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  accessCreditsAbi,
  inferenceSettlementAbi,
  modelRegistryAbi,
  sharesAbi,
} from '../../generated/contracts/index.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { sendAs } from '../../src/chain/devRpc.ts';
import {
  type InferenceReceipt,
  type InferenceRequest,
  matrixId,
  sessionIdOf,
  signRequest,
} from '../../src/chain/inferenceReceipt.ts';
import { voucherTypes } from '../../src/chain/inferenceRequest.ts';
import {
  account,
  approveAll,
  id32,
  isolated,
  now,
  read,
  registerNode,
  send,
  startTestChain,
  type TestChain,
} from '../contracts/harness.ts';

const HOLDER = 1;
const QUERIER = 4;
const GATEWAY = 5;
const ATTACKER = 6;

describe('security: the inference economy', () => {
  let chain: TestChain;
  const credits = () => chain.addresses.accessCredits;
  const unitsOf = (i: number) =>
    read<bigint>(chain, chain.addresses.shares, sharesAbi, 'unitsOf', [account(i)]);
  const signer = (i: number) => privateKeyToAccount(devAccount(i).privateKey);
  const domain = () => ({ chainId: chain.clients[0]!.chain.id, accessCredits: credits() });
  const request = async (querier: number, gateway: number, o: Partial<InferenceRequest> = {}) => ({
    querier: account(querier),
    gateway: account(gateway),
    modelId: 1n,
    versionIndex: 0n,
    creditsPerToken: 1n,
    maxCredits: 100n,
    nonce: 1n,
    deadline: (await now(chain)) + 600n,
    ...o,
  });
  const result = (host: Address, shard: number, wins: number) => ({
    layer: 0,
    matrix: matrixId('attn.c_attn'),
    shard,
    host,
    wins,
    losses: 0,
  });
  const settle = async (from: number, receipt: InferenceReceipt, querier: number) =>
    send(chain, from, chain.addresses.inferenceSettlement, inferenceSettlementAbi, 'settleSession', [
      receipt,
      await signRequest(signer(querier), receipt.request, domain()),
    ]);

  before(async () => {
    chain = await startTestChain({ epochLength: 3600n });
    // An honest holder owns units (minted as TaskMarket would: no key may mint after deployment).
    await sendAs(chain.clients[0]!, chain.addresses.taskMarket, {
      address: chain.addresses.shares,
      abi: sharesAbi,
      functionName: 'mint',
      args: [account(HOLDER), 1n, 1_000_000n],
    });
    await registerNode(chain, GATEWAY, parseEther('100'));
    await send(chain, 0, chain.addresses.modelRegistry, modelRegistryAbi, 'createModel', ['m', id32('m')]);
  });
  after(async () => {
    await chain?.stop();
  });

  it('a stakeless account cannot mint shares by settling a 0-price session to itself', () =>
    isolated(chain, async () => {
      await send(chain, ATTACKER, chain.addresses.modelRegistry, modelRegistryAbi, 'createModel', [
        'mine',
        id32('mine'),
      ]);
      const req = await request(ATTACKER, ATTACKER, { modelId: 2n, creditsPerToken: 0n, maxCredits: 0n });
      const results = [0, 1, 2, 3].map((s) => result(account(ATTACKER), s, 0xffff_ffff));
      await settle(
        ATTACKER,
        { request: req, tokens: 10n, votesRoot: id32('votes'), results },
        ATTACKER,
      ).catch(() => undefined);
      assert.equal(await unitsOf(ATTACKER), 0n);
    }));

  it('a querier cannot void its payment by burning the voucher nonce after being served', () =>
    isolated(chain, async () => {
      await approveAll(chain, QUERIER, credits());
      await send(chain, QUERIER, credits(), accessCreditsAbi, 'buyCredits', [100n]);
      const req = await request(QUERIER, GATEWAY);
      await fundGateway(QUERIER, GATEWAY, 100n);
      // Served; now the querier spends a 0-credit voucher to itself with the session's nonce.
      const burn = {
        querier: account(QUERIER),
        spender: account(QUERIER),
        maxCredits: 0n,
        nonce: BigInt(sessionIdOf(req)),
        deadline: req.deadline,
      };
      const sig = await signer(QUERIER).signTypedData({
        domain: {
          name: 'ConcordAccessCredits',
          version: '1',
          chainId: domain().chainId,
          verifyingContract: credits(),
        },
        types: voucherTypes,
        primaryType: 'Voucher',
        message: burn,
      });
      await send(chain, QUERIER, credits(), accessCreditsAbi, 'spend', [burn, sig, 0n]);
      await settle(GATEWAY, { request: req, tokens: 40n, votesRoot: id32('votes'), results: [] }, QUERIER);
      const d = await read<{ bought: bigint }>(chain, credits(), accessCreditsAbi, 'depositOf', [
        account(QUERIER),
        account(GATEWAY),
      ]);
      assert.equal(d.bought, 60n); // the gateway was paid
    }));

  it('a querier cannot spend the same credits at two gateways', () =>
    isolated(chain, async () => {
      await approveAll(chain, QUERIER, credits());
      await send(chain, QUERIER, credits(), accessCreditsAbi, 'buyCredits', [100n]);
      await fundGateway(QUERIER, GATEWAY, 100n);
      // The credits locked for one gateway are gone from the balance another gateway could be paid from.
      assert.equal(await read(chain, credits(), accessCreditsAbi, 'creditsOf', [account(QUERIER)]), 0n);
      const other = await request(QUERIER, HOLDER);
      const d = await read<{ bought: bigint }>(chain, credits(), accessCreditsAbi, 'depositOf', [
        account(QUERIER),
        account(HOLDER),
      ]);
      assert.ok(d.bought < other.maxCredits); // the second gateway sees no deposit and does not serve
    }));

  it('a free (granted-credit) session mints no shares', () =>
    isolated(chain, async () => {
      await send(chain, HOLDER, credits(), accessCreditsAbi, 'claimEpochCredits');
      await fundGateway(HOLDER, GATEWAY, 100n);
      const req = await request(HOLDER, GATEWAY);
      const before = await unitsOf(GATEWAY);
      const results = [result(account(GATEWAY), 0, 10)];
      await settle(GATEWAY, { request: req, tokens: 10n, votesRoot: id32('votes'), results }, HOLDER);
      assert.equal(await unitsOf(GATEWAY), before);
    }));

  it('a paid session mints at most unitsPerCredit per bought credit, split by wins', () =>
    isolated(chain, async () => {
      await approveAll(chain, QUERIER, credits());
      await send(chain, QUERIER, credits(), accessCreditsAbi, 'buyCredits', [100n]);
      await fundGateway(QUERIER, GATEWAY, 100n);
      const req = await request(QUERIER, GATEWAY);
      const results = [0, 1, 2, 3].map((s) => result(account(GATEWAY), s, 10));
      await assert.rejects(
        settle(GATEWAY, { request: req, tokens: 9n, votesRoot: id32('votes'), results }, QUERIER),
        (err: { errorName?: string }) => err.errorName === 'SettlementInvalidReceipt',
      ); // wins above tokens
      await settle(GATEWAY, { request: req, tokens: 10n, votesRoot: id32('votes'), results }, QUERIER);
      assert.equal(await unitsOf(GATEWAY), 10n * 1000n); // 10 bought credits × unitsPerCredit
    }));

  it('units moved in just before a credit purchase do not take its dividends', () =>
    isolated(chain, async () => {
      await send(chain, HOLDER, credits(), accessCreditsAbi, 'snapshotEpoch');
      // The attacker sees a large purchase coming and takes units right before it.
      await send(chain, HOLDER, chain.addresses.shares, sharesAbi, 'safeTransferFrom', [
        account(HOLDER),
        account(ATTACKER),
        1n,
        900_000n,
        '0x',
      ]);
      await approveAll(chain, QUERIER, credits());
      await send(chain, QUERIER, credits(), accessCreditsAbi, 'buyCredits', [1000n]);
      assert.equal(await attackerDividends(), 0n);
    }));

  /** Locks `amount` of the querier's credits for `gateway`. */
  async function fundGateway(querier: number, gateway: number, amount: bigint): Promise<void> {
    await send(chain, querier, credits(), accessCreditsAbi, 'deposit', [account(gateway), amount]);
  }
  /** The attacker's part of this epoch's dividends, once the epoch is over. */
  async function attackerDividends(): Promise<bigint> {
    const epoch = await read<bigint>(chain, credits(), accessCreditsAbi, 'currentEpoch');
    await chain.test.increaseTime({ seconds: 3600 });
    await chain.test.mine({ blocks: 1 });
    return await read<bigint>(chain, credits(), accessCreditsAbi, 'dividendsOf', [account(ATTACKER), epoch]);
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, type Hex, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sharesAbi } from '../../generated/contracts/index.ts';
import { buyCredits } from '../chain/actions/buyCredits.ts';
import { createModel } from '../chain/actions/createModel.ts';
import { depositCredits } from '../chain/actions/depositCredits.ts';
import { depositOf } from '../chain/actions/depositOf.ts';
import { getNode } from '../chain/actions/getNode.ts';
import { register } from '../chain/actions/register.ts';
import { settleSession } from '../chain/actions/settleSession.ts';
import { slashEquivocation } from '../chain/actions/slashEquivocation.ts';
import type { ConcordContext } from '../chain/context.ts';
import { devAccount } from '../chain/devAccounts.ts';
import { type DevChain, devPeerId, startDevChain } from '../chain/devChain.ts';
import { sendAs } from '../chain/devRpc.ts';
import { ChainRevertError } from '../chain/errors.ts';
import {
  buildReceipt,
  type Evidence,
  matrixId,
  type SignedStatement,
  sessionIdOf,
  shardArtifactId,
  signRequest,
  toChainStatement,
} from '../chain/inferenceReceipt.ts';
import type { InferenceRequest } from '../chain/inferenceRequest.ts';
import { vectorDigest } from '../core/digest.ts';
import { GptParams, makeGptConfig } from '../model/index.ts';
import { chainSessionAdmission } from '../node/inference/hostAdmission.ts';
import { decodeTokens } from './decoder.ts';
import { gptExchanges } from './exchange.ts';
import { HostLink } from './hostLink.ts';
import { localExchangeBackend } from './localExchangeBackend.ts';
import type { SealEvery, SignatureCheck } from './session.ts';
import { settleAndSlash } from './settle.ts';
import { paramsDigest, startTestInferenceNetwork, type TestInferenceNetwork } from './testing.ts';

const config = makeGptConfig({ vocabSize: 61, contextLength: 12, dModel: 24, nHeads: 3, nLayers: 2 });
const params = GptParams.init(config, 11);
const prompt = [5, 8, 13];
const sampling = { temperature: 0.8, topK: 20, seed: 7 };
const TOKENS = 3;
const PRICE = 3n;
const STAKE = parseEther('100');
const SLASH = parseEther('10');
const UNITS_PER_CREDIT = 1000n;
const sharding = { shardsPerMatrix: 2 };
/** Dev accounts 1..4 are staked hosts; 5 queries; 6 is the (staked) gateway. */
const HOST_ACCOUNTS = [1, 2, 3, 4];
const QUERIER = 5;
const GATEWAY = 6;

/** Params whose every fifth weight is nudged: a host serving them answers wrong bits everywhere. */
function liarParams(): GptParams {
  const p = params.clone();
  for (let i = 0; i < p.flat.length; i += 5) p.flat[i] = Math.fround(p.flat[i]! * 1.001 + 1e-4);
  return p;
}

describe('settling inference sessions on chain (anvil)', () => {
  let chain: DevChain;
  let chainId: number;
  let modelId: bigint;
  let nonce = 0n;
  const actor = (i: number): ConcordContext => chain.actors[i - 1]!;
  const hostAccounts = HOST_ACCOUNTS.map((i) => privateKeyToAccount(devAccount(i).privateKey));
  const querier = privateKeyToAccount(devAccount(QUERIER).privateKey);
  /** The tokens of local decoding in the plan's order (what every honest network answers). */
  const localTokens: number[] = [];

  before(async () => {
    const backend = localExchangeBackend(params, sharding);
    for await (const t of decodeTokens(params, prompt, backend, { ...sampling, maxNewTokens: TOKENS }))
      localTokens.push(t);
    backend.dispose();
    chain = await startDevChain({
      actors: 6,
      deploy: { unitsPerCredit: UNITS_PER_CREDIT, equivocationSlash: SLASH },
    });
    chainId = chain.deployer.publicClient.chain.id;
    ({ modelId } = await createModel(chain.deployer, {
      name: 'tiny-gpt',
      genesisDigest: paramsDigest(params),
    }));
    for (const i of [...HOST_ACCOUNTS, GATEWAY])
      await register(actor(i), { peerId: devPeerId(i), peerSig: '0x01', stake: STAKE });
    // Credits can be bought only while share units exist: mint one unit first, as TaskMarket would.
    const shares = chain.deployment.addresses.shares;
    const deployer = chain.deployer.account.address;
    await sendAs(chain.deployer, chain.deployment.addresses.taskMarket, {
      address: shares,
      abi: sharesAbi,
      functionName: 'mint',
      args: [deployer, 1n, 1n],
    });
    await buyCredits(actor(QUERIER), { credits: 10_000n });
    await depositCredits(actor(QUERIER), { gateway: devAccount(GATEWAY).address, credits: 10_000n });
  });
  after(async () => {
    await chain?.stop();
  });

  /** The credits the querier locked for the gateway. */
  const deposited = async () => {
    const d = await depositOf(actor(1), {
      querier: devAccount(QUERIER).address,
      gateway: devAccount(GATEWAY).address,
    });
    return d.granted + d.bought;
  };

  /** A network of the staked hosts signing for this chain's settlement contract, admitting sessions on chain. */
  const network = (options: {
    hosts: number;
    replicas: number;
    standbys: number;
    liar?: number;
    sealEvery?: SealEvery;
    signatureCheck?: SignatureCheck;
  }): Promise<TestInferenceNetwork> =>
    startTestInferenceNetwork({
      params,
      hosts: options.hosts,
      replicas: options.replicas,
      standbys: options.standbys,
      sharding,
      accounts: hostAccounts,
      admit: chainSessionAdmission(actor(1), { modelId, versionIndex: 0n }),
      domain: { chainId, settlement: chain.deployment.addresses.inferenceSettlement },
      servedParams: (i) => (i === options.liar ? liarParams() : undefined),
      gateway: {
        ...(options.sealEvery ? { sealEvery: options.sealEvery } : {}),
        ...(options.signatureCheck ? { signatureCheck: options.signatureCheck } : {}),
      },
    });

  /** The querier's signed request for the test model. */
  const signedRequest = async () => {
    const block = await chain.deployer.publicClient.getBlock();
    const request: InferenceRequest = {
      querier: querier.address,
      gateway: devAccount(GATEWAY).address,
      modelId,
      versionIndex: 0n,
      creditsPerToken: PRICE,
      maxCredits: 1000n,
      nonce: ++nonce,
      deadline: block.timestamp + 600n,
    };
    const credits = { chainId, accessCredits: chain.deployment.addresses.accessCredits };
    return { request, signature: await signRequest(querier, request, credits) };
  };

  /** Generates TOKENS tokens in a session opened for `request` and returns its settlement. */
  const run = async (
    net: TestInferenceNetwork,
    { request, signature }: { request: InferenceRequest; signature: Hex },
  ) => {
    const session = net.gateway.openSession({ auth: { request, signature } });
    assert.equal(session.id, sessionIdOf(request));
    const tokens: number[] = [];
    for await (const e of session.generate(prompt, { ...sampling, maxNewTokens: TOKENS }))
      tokens.push(e.token);
    assert.deepEqual(tokens, localTokens);
    return await session.settlement(request);
  };

  const shardUnits = (host: Address, layer: number, matrix: string, shard: number, digest: Hex) =>
    chain.deployer.publicClient.readContract({
      address: chain.deployment.addresses.shares,
      abi: sharesAbi,
      functionName: 'balanceOf',
      args: [host, shardArtifactId(digest, layer, matrix, shard)],
    });
  const matrixNames = new Map(gptExchanges(config).map((m) => [matrixId(m.matrix), m.matrix as string]));

  it('r = 3 with a lying host: debits the querier, pays the winners in shard units, slashes the liar once', async () => {
    // every answer signed and checked as it comes (the next test seals once per token, checked at receipt)
    const net = await network({
      hosts: 4,
      replicas: 3,
      standbys: 1,
      liar: 0,
      sealEvery: 'response',
      signatureCheck: 'each-response',
    });
    try {
      const liar = hostAccounts[0]!.address;
      const { request, signature } = await signedRequest();
      const settlement = await run(net, { request, signature });
      assert.equal(settlement.receipt.tokens, BigInt(TOKENS));
      assert.deepEqual(
        settlement.evidence.map((e) => e.accused.host),
        [liar],
      );
      const liarResults = settlement.receipt.results.filter((r) => r.host === liar);
      assert.ok(liarResults.length > 0 && liarResults.every((r) => r.wins === 0 && r.losses > 0));

      const creditsBefore = await deposited();
      // the evidence twice: the second slash of the same host for the same session is refused and reported
      const twice = { ...settlement, evidence: [...settlement.evidence, ...settlement.evidence] };
      const outcome = await settleAndSlash(actor(GATEWAY), twice, signature);
      assert.equal(outcome.session, sessionIdOf(request));
      assert.equal(outcome.credits, BigInt(TOKENS) * PRICE);
      assert.equal(await deposited(), creditsBefore - BigInt(TOKENS) * PRICE);
      assert.deepEqual(
        outcome.slashed.map((s) => [s.host, s.amount]),
        [[liar, SLASH]],
      );
      assert.deepEqual(
        outcome.unslashed.map((u) => [u.host, u.error]),
        [[liar, 'SettlementAlreadySlashed']],
      );
      assert.equal((await getNode(actor(1), { account: liar })).stake, STAKE - SLASH);

      const digest = net.plan.parameters.modelDigest;
      const pool = BigInt(TOKENS) * PRICE * UNITS_PER_CREDIT; // every debited credit was bought
      const totalWins = settlement.receipt.results.reduce((sum, r) => sum + BigInt(r.wins), 0n);
      for (const r of settlement.receipt.results) {
        const units = await shardUnits(r.host, r.layer, matrixNames.get(r.matrix)!, r.shard, digest);
        const earned = r.host === liar ? 0n : (pool * BigInt(r.wins)) / totalWins; // the liar fell below minStake
        assert.equal(units, earned, `units of ${r.host} on shard ${r.shard}`);
        assert.ok(r.wins <= TOKENS);
      }
      assert.ok(settlement.receipt.results.some((r) => r.wins > 0 && r.host !== liar));

      await assert.rejects(
        settleSession(actor(GATEWAY), { receipt: settlement.receipt, querierSignature: signature }),
        (err: { name: string; errorName: string }) =>
          err.name === 'ChainRevertError' && err.errorName === 'SettlementSessionAlreadySettled',
      );
    } finally {
      await net.stop();
    }
  });

  it('sealing once per token still gets the liar’s signature over its wrong answers, checked at receipt', async () => {
    const net = await network({
      hosts: 4,
      replicas: 3,
      standbys: 1,
      liar: 1,
      sealEvery: 'token',
      signatureCheck: 'at-receipt',
    });
    try {
      const liar = hostAccounts[1]!.address;
      const { request, signature } = await signedRequest();
      const settlement = await run(net, { request, signature });
      assert.deepEqual(
        settlement.evidence.map((e) => e.accused.host),
        [liar],
      );
      const stake = (await getNode(actor(1), { account: liar })).stake;
      const outcome = await settleAndSlash(actor(GATEWAY), settlement, signature);
      assert.deepEqual(
        outcome.slashed.map((s) => s.host),
        [liar],
      );
      assert.equal((await getNode(actor(1), { account: liar })).stake, stake - SLASH);
    } finally {
      await net.stop();
    }
  });

  it('r = 1 with honest hosts: settles with no evidence and slashes nobody', async () => {
    const net = await network({ hosts: 2, replicas: 1, standbys: 0 });
    try {
      const { request, signature } = await signedRequest();
      const settlement = await run(net, { request, signature });
      assert.deepEqual(settlement.evidence, []);
      assert.ok(settlement.receipt.results.every((r) => r.wins > 0 && r.losses === 0));
      const creditsBefore = await deposited();
      const outcome = await settleAndSlash(actor(GATEWAY), settlement, signature);
      assert.deepEqual(outcome.slashed, []);
      assert.equal(await deposited(), creditsBefore - BigInt(TOKENS) * PRICE);
    } finally {
      await net.stop();
    }
  });

  it('counts the answers of an undecided product as lost and accuses nobody', async () => {
    // r = 2 and no standby: the liar splits every shard 1:1 and the first product cannot be decided.
    const net = await network({ hosts: 2, replicas: 2, standbys: 0, liar: 0 });
    try {
      const { request, signature } = await signedRequest();
      const session = net.gateway.openSession({ auth: { request, signature } });
      await assert.rejects(
        async () => {
          for await (const _ of session.generate(prompt, { ...sampling, maxNewTokens: 1 })) {
            // generation fails on its first product
          }
        },
        { name: 'InferShardUndecidedError' },
      );
      const { receipt, evidence } = await session.settlement(request);
      assert.equal(receipt.tokens, 0n);
      assert.ok(receipt.results.length > 0 && receipt.results.every((r) => r.wins === 0 && r.losses === 1));
      assert.deepEqual(evidence, []);
    } finally {
      await net.stop();
    }
  });

  it('refuses to settle a request of another session (SessionRequestMismatchError)', async () => {
    const net = await network({ hosts: 2, replicas: 1, standbys: 0 });
    try {
      const { request } = await signedRequest();
      const session = net.gateway.openSession();
      await assert.rejects(session.settlement(request), { name: 'SessionRequestMismatchError' });
      assert.throws(() => net.gateway.openSession({ id: '0x1234' }), { name: 'SessionIdInvalidError' });
    } finally {
      await net.stop();
    }
  });

  it('a gateway that feeds one host another input for the same step cannot slash it with its genuine signatures', async () => {
    // The attacker is a staked gateway paying its own session: the strongest position the attack needs.
    const net = await network({ hosts: 3, replicas: 3, standbys: 0 });
    try {
      const attacker = actor(GATEWAY);
      await buyCredits(attacker, { credits: 100n });
      await depositCredits(attacker, { gateway: attacker.account.address, credits: 100n });
      const block = await chain.deployer.publicClient.getBlock();
      const request: InferenceRequest = {
        querier: attacker.account.address,
        gateway: attacker.account.address,
        modelId,
        versionIndex: 0n,
        creditsPerToken: 1n,
        maxCredits: 100n,
        nonce: ++nonce,
        deadline: block.timestamp + 600n,
      };
      const credits = { chainId, accessCredits: chain.deployment.addresses.accessCredits };
      const signature = await signRequest(
        privateKeyToAccount(devAccount(GATEWAY).privateKey),
        request,
        credits,
      );
      const session = sessionIdOf(request);
      const shard = net.plan.shards.find((s) => s.matrix.layer === 0 && s.matrix.matrix === 'mlp')!;
      const honest = Float32Array.from({ length: config.dModel }, (_, i) => Math.sin(i));
      const fed = Float32Array.from({ length: config.dModel }, (_, i) => Math.cos(i));
      const item = { layer: 0, matrix: 'mlp' as const, shard: shard.shard };
      const signed: SignedStatement[] = [];
      for (const [i, h] of net.hosts.entries()) {
        const input = i === 0 ? fed : honest; // host 0 is the victim
        const link = new HostLink(net.gatewayHost, h.libp2p.getMultiaddrs(), net.plan.parameters.modelDigest);
        const answer = await link.submit({
          part: {
            session,
            step: 0,
            seal: true,
            items: [{ ...item, rows: 1, keepFrom: 0, keepTo: 0, outFrom: 0 }],
            auth: { request, signature },
          },
          inputs: [input],
          outputLengths: [config.dModel],
        });
        await link.close();
        signed.push({
          host: h.account.address,
          statement: {
            session,
            items: [{ step: 0, ...item, input: vectorDigest(input), digest: answer.digests[0]! }],
          },
          signature: answer.signature!,
        });
      }
      const victim = signed[0]!;
      const receipt = buildReceipt({
        request,
        tokens: 1n,
        statements: signed.map((st, i) => ({ ...st, won: [i !== 0] })),
        domain: { chainId, settlement: chain.deployment.addresses.inferenceSettlement },
      });
      await settleSession(attacker, { receipt, querierSignature: signature });
      // The signatures are genuine, but the victim answered another input than the "majority".
      const toKey = (st: SignedStatement) => st.statement.items[0]!;
      const evidence: Evidence = {
        session,
        accused: toChainStatement(toKey(victim), victim),
        majority: signed
          .slice(1)
          .sort((a, b) => (BigInt(a.host) < BigInt(b.host) ? -1 : 1))
          .map((m) => toChainStatement(toKey(m), m)),
      };
      const stake = (await getNode(actor(1), { account: victim.host })).stake;
      await assert.rejects(
        slashEquivocation(attacker, { evidence, results: receipt.results }),
        (err) => err instanceof ChainRevertError && err.errorName === 'SettlementInvalidEvidence',
      );
      assert.equal((await getNode(actor(1), { account: victim.host })).stake, stake);
    } finally {
      await net.stop();
    }
  });

  it('hosts refuse a session with no querier request, a forged one, or one its querier did not fund', async () => {
    const net = await network({ hosts: 1, replicas: 1, standbys: 0 });
    try {
      const h = net.hosts[0]!;
      const shard = net.plan.shards.find((s) => s.matrix.matrix === 'mlp')!;
      const link = new HostLink(net.gatewayHost, h.libp2p.getMultiaddrs(), net.plan.parameters.modelDigest);
      const ask = (session: Hex, auth: { request: InferenceRequest; signature: Hex } | null) =>
        link.submit({
          part: {
            session,
            step: 0,
            seal: true,
            items: [
              {
                layer: shard.matrix.layer,
                matrix: 'mlp',
                shard: shard.shard,
                rows: 1,
                keepFrom: 0,
                keepTo: 0,
                outFrom: 0,
              },
            ],
            auth,
          },
          inputs: [new Float32Array(config.dModel)],
          outputLengths: [config.dModel],
        });
      const { request, signature } = await signedRequest();
      await assert.rejects(ask(sessionIdOf(request), null), { name: 'InferSessionUnauthorizedError' });
      const forged = { ...request, maxCredits: request.maxCredits + 1n }; // not what the querier signed
      await assert.rejects(ask(sessionIdOf(forged), { request: forged, signature }), {
        name: 'InferSessionUnauthorizedError',
      });
      const tooBig = { ...request, maxCredits: 10n ** 9n, nonce: ++nonce };
      const tooBigSig = await signRequest(querier, tooBig, {
        chainId,
        accessCredits: chain.deployment.addresses.accessCredits,
      });
      await assert.rejects(ask(sessionIdOf(tooBig), { request: tooBig, signature: tooBigSig }), {
        name: 'InferSessionUnfundedError',
      });
      const answer = await ask(sessionIdOf(request), { request, signature });
      assert.equal(answer.digests.length, 1);
      await link.close();
    } finally {
      await net.stop();
    }
  });
});

/**
 * Gas of settling an inference session and of slashing a host, for sessions
 * of one matrix split into 1, 8 and 32 row shards served by 3 hosts over 4
 * steps (one host wrong once). Baseline: the same debit and mints as separate
 * transactions by an authorized account (a trusted settler's way). Prints the
 * Markdown table of docs/gas.md.
 * Run: node bin/run.mjs bench/inferenceGas.ts
 */
import { keccak256, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { accessCreditsAbi, modelRegistryAbi, sharesAbi } from '../generated/contracts/index.ts';
import { buyCredits } from '../src/chain/actions/buyCredits.ts';
import { depositCredits } from '../src/chain/actions/depositCredits.ts';
import { settleSession } from '../src/chain/actions/settleSession.ts';
import { slashEquivocation } from '../src/chain/actions/slashEquivocation.ts';
import { devAccount } from '../src/chain/devAccounts.ts';
import { startDevChain } from '../src/chain/devChain.ts';
import { sendAs } from '../src/chain/devRpc.ts';
import {
  buildReceipt,
  equivocationEvidence,
  type InferenceRequest,
  sessionIdOf,
  shardArtifactId,
  signRequest,
  signStatement,
  type TalliedStatement,
  voucherOf,
} from '../src/chain/inferenceReceipt.ts';
import { sendContract } from '../src/chain/send.ts';

const SHARDS = [1, 8, 32];
const STEPS = 4;
const MATRIX = 'attn.c_attn';
const GENESIS = keccak256(toHex('bench model'));
const h = (t: string) => keccak256(toHex(t));

const dev = await startDevChain({
  actors: 5,
  registerStake: parseEther('1000'),
  anvil: { gasLimit: 1_000_000_000n },
});
try {
  const { deployer, actors } = dev;
  const [hostA, hostB, liar, gateway, reporter] = actors as [typeof deployer, ...(typeof deployer)[]];
  const hosts = [hostA!, hostB!, liar!];
  const chainId = deployer.chain.id;
  const settlement = deployer.addresses.inferenceSettlement;
  const domain = { chainId, settlement };
  await sendContract(deployer, {
    address: deployer.addresses.modelRegistry,
    abi: modelRegistryAbi,
    functionName: 'createModel',
    args: ['bench', GENESIS],
  });
  // The baseline acts as the protocol contracts that hold the roles (no key does after deployConcord).
  const mint = (args: readonly unknown[]) =>
    sendAs(deployer, deployer.addresses.taskMarket, {
      address: deployer.addresses.shares,
      abi: sharesAbi,
      functionName: 'mint',
      args,
    });
  await mint([deployer.account.address, 1n, 1n]);
  await buyCredits(deployer, { credits: 1_000_000n });
  await depositCredits(deployer, { gateway: gateway!.account.address, credits: 1_000_000n });
  const querier = privateKeyToAccount(devAccount(0).privateKey);
  let nonce = 0n;
  const request = async (): Promise<InferenceRequest> => ({
    querier: deployer.account.address,
    gateway: gateway!.account.address,
    modelId: 1n,
    versionIndex: 0n,
    creditsPerToken: 2n,
    maxCredits: 1000n,
    nonce: nonce++,
    deadline: (await deployer.publicClient.getBlock()).timestamp + 3600n,
  });

  const rows: string[][] = [];
  for (const shards of SHARDS) {
    const req = await request();
    const statements: TalliedStatement[] = [];
    for (let step = 0; step < STEPS; step++) {
      for (const host of hosts) {
        const lies = host === liar && step === 0;
        const items = Array.from({ length: shards }, (_, shard) => ({
          step,
          layer: 0,
          matrix: MATRIX,
          shard,
          input: h(`input ${step}`),
          digest: lies && shard === 0 ? h('bad') : h(`good ${step} ${shard}`),
        }));
        const statement = { session: sessionIdOf(req), items };
        const signature = await signStatement(host.account, statement, domain);
        statements.push({
          host: host.account.address,
          statement,
          signature,
          won: items.map((_, s) => !(lies && s === 0)),
        });
      }
    }
    const receipt = buildReceipt({ request: req, tokens: BigInt(STEPS), statements, domain });
    const querierSignature = await signRequest(querier, req, {
      chainId,
      accessCredits: deployer.addresses.accessCredits,
    });
    const settled = await settleSession(gateway!, { receipt, querierSignature });

    // Baseline: the same debit and mints, one transaction each, by a trusted settler and minter.
    const base = await request();
    const baseSig = await signRequest(querier, base, {
      chainId,
      accessCredits: deployer.addresses.accessCredits,
    });
    let baseline = (
      await sendAs(deployer, settlement, {
        address: deployer.addresses.accessCredits,
        abi: accessCreditsAbi,
        functionName: 'spend',
        args: [voucherOf(base), baseSig, 8n],
      })
    ).gasUsed;
    for (const r of receipt.results) {
      if (r.wins === 0) continue;
      // Another model's ids, so the baseline writes fresh balances as settleSession did.
      const id = shardArtifactId(h('baseline model'), r.layer, MATRIX, r.shard);
      baseline += (await mint([r.host, id, BigInt(r.wins) * 1000n])).gasUsed;
    }

    const step0 = statements.filter((s) => s.statement.items[0]!.step === 0);
    const evidence = equivocationEvidence(
      { step: 0, layer: 0, matrix: MATRIX, shard: 0, input: h('input 0') },
      step0.find((s) => s.host === liar!.account.address)!,
      step0.filter((s) => s.host !== liar!.account.address),
    );
    const slashed = await slashEquivocation(reporter!, { evidence, results: receipt.results });
    const ours = settled.receipt.gasUsed;
    rows.push([
      `${shards} shard${shards > 1 ? 's' : ''} × 3 hosts (${receipt.results.length} results)`,
      String(ours),
      String(ours / BigInt(receipt.results.length)),
      String(baseline),
      (Number(baseline) / Number(ours)).toFixed(2),
      String(slashed.receipt.gasUsed),
    ]);
  }
  const header = [
    'session',
    'settleSession gas',
    'per result',
    'baseline: separate txs',
    'baseline / ours',
    'slashEquivocation gas',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  await dev.stop();
}

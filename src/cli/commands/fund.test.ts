import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { balanceOf } from '../../chain/actions/balanceOf.ts';
import { createConcordContext } from '../../chain/context.ts';
import { writeDeployment } from '../../chain/deployment.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../chain/devChain.ts';
import { ensureRegistered } from '../../node/ensureRegistered.ts';
import { chainCli } from '../testing/chainCli.ts';

const dir = mkdtempSync(join(tmpdir(), 'concord-fund-cli-'));
const contracts = join(dir, 'deployment.json');
let chain: DevChain;

before(async () => {
  chain = await startDevChain({ actors: 1 });
  writeDeployment(contracts, chain.deployment);
});
after(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { concord, failure } = chainCli(() => ({ rpcUrl: chain.anvil.rpcUrl, contracts }));

test('a fresh account cannot start a node until `concord fund` gives it ETH and CCD', async () => {
  const key = generatePrivateKey();
  const fresh = privateKeyToAccount(key).address;
  const ctx = await createConcordContext({
    rpcUrl: chain.anvil.rpcUrl,
    privateKey: key,
    deployment: chain.deployment,
  });
  const peerKey = await generateKeyPair('Ed25519');
  // Unfunded: a named error that says what is missing and how to fund it; nothing is sent.
  await assert.rejects(ensureRegistered(ctx, peerKey), (err: Error & { hint?: string }) => {
    assert.equal(err.name, 'AccountUnfundedError');
    assert.match(err.message, /ETH for gas .* and 100 CCD to stake/);
    assert.match(err.hint ?? '', new RegExp(`concord fund ${fresh}`));
    return true;
  });
  // ETH alone is not enough to stake.
  await concord('fund', fresh, '--eth', '0.5');
  await assert.rejects(ensureRegistered(ctx, peerKey), /needs 100 CCD to stake \(it holds 0\)/);
  const out = JSON.parse(await concord('fund', fresh, '--ccd', '150', '--json')) as {
    from: string;
    balance: { eth: string; ccd: string };
  };
  assert.equal(out.from, devAccount(0).address);
  assert.equal(out.balance.eth, parseEther('0.5').toString());
  assert.equal(out.balance.ccd, parseEther('150').toString());
  assert.equal((await ensureRegistered(ctx, peerKey)).registered, true);
  assert.equal(await balanceOf(ctx, { account: fresh }), parseEther('50'));
});

test('fund refuses a bad address or amount with exit 2; --from names the paying key', async () => {
  const to = privateKeyToAccount(generatePrivateKey()).address;
  for (const args of [
    ['fund'],
    ['fund', '0x1234'],
    ['fund', to, '--eth', '-1'],
    ['fund', to, '--ccd', '1e18'],
    ['fund', to, to],
  ]) {
    const { code, stderr } = await failure(...args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, /UsageError/);
  }
  // With --from, the named key pays (here a dev account of the chain's actors).
  const keyFile = join(dir, 'sender.key');
  writeFileSync(keyFile, `${devAccount(1).privateKey}\n`, { mode: 0o600 });
  const out = JSON.parse(await concord('fund', to, '--ccd', '2', '--from', keyFile, '--json')) as {
    from: string;
  };
  assert.equal(out.from, devAccount(1).address);
});

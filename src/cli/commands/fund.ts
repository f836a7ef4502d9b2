import { formatEther, getAddress, isAddress, parseEther } from 'viem';
import { balanceOf } from '../../chain/actions/balanceOf.ts';
import { sendEth } from '../../chain/actions/sendEth.ts';
import { transfer } from '../../chain/actions/transfer.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { type Command, type CommandContext, UsageError } from '../command.ts';
import { SETTINGS_USAGE } from '../config.ts';
import { chainSigner, resolveSigner } from './creditsSigner.ts';

/** The chain id of a local anvil, where the deployer's well-known dev key may fund accounts. */
const LOCAL_CHAIN_ID = 31337;
/** What `concord fund ADDRESS` sends when neither amount is given: gas for a while, and ten minimum stakes. */
const DEFAULT_ETH = '1';
const DEFAULT_CCD = '1000';

/** `concord fund ADDRESS`: sends ETH (gas) and CCD (stake) to an account. */
export const fundCommand: Command = {
  path: ['fund'],
  summary: 'send ETH for gas and CCD for stake to an account (from the deployer on a local chain)',
  usage: [
    'Usage: concord fund ADDRESS [--eth N] [--ccd N] [--from FILE] [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    `Sends N ETH and N CCD (decimal amounts) to ADDRESS; with neither flag, ${DEFAULT_ETH} ETH and ${DEFAULT_CCD} CCD.`,
    'A node needs ETH to pay gas and CCD to stake before `concord node start` can register it.',
    '',
    'Options:',
    '  --eth N             ETH to send (decimal, e.g. 0.5)',
    '  --ccd N             CCD to send (decimal)',
    '  --from FILE         EVM private key file of the sender (default on a local chain, id',
    `                      ${LOCAL_CHAIN_ID}: the deployer's dev account; required on any other chain)`,
    '  --dir D             devnet directory, for the defaults of --chain and --contracts',
    '  --chain URL         EVM JSON-RPC URL (default: the devnet’s)',
    '  --contracts FILE    deployment JSON (default: the devnet’s)',
    '  --json              print JSON',
    ...SETTINGS_USAGE,
  ].join('\n'),
  options: {
    eth: { type: 'string' },
    ccd: { type: 'string' },
    from: { type: 'string' },
    dir: { type: 'string' },
    chain: { type: 'string' },
    contracts: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  async run({ values, positionals, stdout }) {
    const [to, ...rest] = positionals;
    if (to === undefined || rest.length > 0 || !isAddress(to, { strict: false })) {
      throw new UsageError('concord fund takes one ADDRESS: a 0x-prefixed 20-byte hex address.', {
        hint: 'Example: concord fund 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --ccd 500',
      });
    }
    const neither = values.eth === undefined && values.ccd === undefined;
    const eth = amount(values.eth ?? (neither ? DEFAULT_ETH : undefined), '--eth');
    const ccd = amount(values.ccd ?? (neither ? DEFAULT_CCD : undefined), '--ccd');
    const sender = await senderOf(values);
    const account = getAddress(to);
    const txs: string[] = [];
    if (eth > 0n) txs.push((await sendEth(sender, { to: account, amount: eth })).transactionHash);
    if (ccd > 0n) txs.push((await transfer(sender, { to: account, amount: ccd })).transactionHash);
    const held = {
      eth: await sender.publicClient.getBalance({ address: account }),
      ccd: await balanceOf(sender, { account }),
    };
    if (values.json) {
      stdout(
        JSON.stringify({
          account,
          from: sender.account.address,
          sent: { eth: eth.toString(), ccd: ccd.toString() },
          balance: { eth: held.eth.toString(), ccd: held.ccd.toString() },
          txs,
        }),
      );
      return 0;
    }
    stdout(`sent ${formatEther(eth)} ETH and ${formatEther(ccd)} CCD from ${sender.account.address}`);
    stdout(`${account} now holds ${formatEther(held.eth)} ETH and ${formatEther(held.ccd)} CCD`);
    return 0;
  },
};

/** A decimal amount in wei (18 decimals); 0 when absent; a UsageError for anything else. */
function amount(text: string | boolean | (string | boolean)[] | undefined, flag: string): bigint {
  if (text === undefined) return 0n;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,30})(\.[0-9]{1,18})?$/.test(text)) {
    throw new UsageError(`${flag} takes a decimal amount such as 1 or 0.25, not '${String(text)}'.`);
  }
  return parseEther(text);
}

/** The sender: `--from FILE`, or on a local chain the deployer's dev account. */
async function senderOf(values: CommandContext['values']): Promise<ConcordContext> {
  if (typeof values.from === 'string') return await resolveSigner({ ...values, key: values.from });
  const ctx = await chainSigner(values, devAccount(0).privateKey);
  if (ctx.chain.id !== LOCAL_CHAIN_ID) {
    throw new UsageError(`Chain ${ctx.chain.id} is not a local chain; name the sender's key.`, {
      hint: 'Add --from FILE with the private key of an account holding ETH and CCD.',
    });
  }
  return ctx;
}

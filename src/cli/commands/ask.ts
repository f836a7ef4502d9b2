import type { Address } from 'viem';
import { requestToJson } from '../../chain/requestJson.ts';
import type { ModelListEntry, NodeClient } from '../../client/nodeClient.ts';
import { resolveNode } from '../../client/target.ts';
import { ensureDeposit, signedRequest } from '../../devnet/askDemo.ts';
import type { SettlementView } from '../../node/inference/openaiFormat.ts';
import { type Command, type CommandContext, integerFlag, UsageError } from '../command.ts';
import { resolveSigner, signerOptions } from './creditsSigner.ts';
import { targetFlags } from './taskTarget.ts';

/** `max_tokens` of `concord ask` unless `--max-tokens` says otherwise. */
export const ASK_DEFAULT_MAX_TOKENS = 64;

/** What `concord ask --json` prints. */
export type AskResult = {
  model: string;
  text: string;
  tokens: number;
  session: string | null;
  finishReason: string | null;
  settlement: SettlementView | null;
  settlementError?: string;
  /** Who paid: the `--key` account, or the node itself (API token). */
  querier: Address | 'node';
};

/**
 * `concord ask "prompt"`: streams a completion from a node's
 * `/v1/completions`, paid with `--key`'s credits (a signed request) or, without
 * it, by the node through its API token.
 */
export const askCommand: Command = {
  path: ['ask'],
  summary: 'ask a served model; streams the answer computed by the network',
  usage: [
    'Usage: concord ask "PROMPT" [--model M] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]',
    '                   [--seed S] [--node URL | --dir D] [--key FILE] [--json]',
    '',
    'Streams the continuation of PROMPT to stdout as the gateway node generates it,',
    'every matrix product decided by the hosts’ consensus; then prints the tokens,',
    'session and on-chain settlement to stderr. With --key the request is signed by',
    'that key and paid from its credits (buy some with `concord credits buy`);',
    'without, the node pays from its own credits (needs its API token).',
    '',
    'Options:',
    '  --model M           model name, name@version or id (default: the node’s newest)',
    `  --max-tokens N      most tokens to generate, 1..4096 (default ${ASK_DEFAULT_MAX_TOKENS})`,
    '  --temperature T     sampling temperature, >= 0; 0 is greedy (default 1)',
    '  --top-k K           keep the K likeliest tokens; 0 keeps all (default 0)',
    '  --top-p P           nucleus sampling, in (0, 1] (default 1)',
    '  --seed S            sampling seed, an integer >= 0 (default: random)',
    '  --node URL          the gateway node’s API (default: node 0 of the devnet in --dir)',
    '  --token-file FILE   that node’s API token, when paying through the node',
    '  --key FILE          EVM key file of the querier that signs and pays',
    '  --dir D             devnet directory (default .concord/devnet)',
    '  --chain URL         EVM JSON-RPC URL, with --key (default: the devnet’s)',
    '  --contracts FILE    deployment JSON, with --key (default: the devnet’s)',
    '  --json              print one JSON object at the end instead of streaming',
  ].join('\n'),
  options: {
    ...signerOptions,
    model: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
  },
  positionals: true,
  async run({ values, positionals, stdout, stderr }) {
    const [prompt, ...rest] = positionals;
    if (prompt === undefined || rest.length > 0) {
      throw new UsageError('concord ask takes one PROMPT (quote it).', {
        hint: 'Example: concord ask "The state of the Union is" --max-tokens 32',
      });
    }
    const maxTokens = integerFlag(values['max-tokens'], '--max-tokens', 1, 4096) ?? ASK_DEFAULT_MAX_TOKENS;
    const node = resolveNode(targetFlags(values));
    const model = await pickModel(node, typeof values.model === 'string' ? values.model : undefined);
    const body: Record<string, unknown> = {
      model: model.id,
      prompt,
      max_tokens: maxTokens,
      ...optionalNumber('temperature', values.temperature, '--temperature', (n) => n >= 0),
      ...optionalNumber('top_p', values['top-p'], '--top-p', (n) => n > 0 && n <= 1),
      ...optionalNumber('top_k', values['top-k'], '--top-k', (n) => Number.isInteger(n) && n >= 0),
      ...optionalNumber('seed', values.seed, '--seed', (n) => Number.isSafeInteger(n) && n >= 0),
    };
    let querier: AskResult['querier'] = 'node';
    if (typeof values.key === 'string') {
      const signer = await resolveSigner(values);
      const { request, signature } = await signedRequest(signer, model, maxTokens);
      await ensureDeposit(signer, request.gateway, request.maxCredits, { buy: false });
      body.concord = { request: requestToJson(request), signature };
      querier = signer.account.address;
    }
    const result = await streamAnswer(node, model.id, body, querier, values.json ? undefined : write);
    if (values.json) {
      stdout(JSON.stringify(result));
    } else {
      stdout('');
      stderr(summary(result));
    }
    return result.finishReason === null ? 1 : 0;
  },
};

function write(text: string): void {
  process.stdout.write(text);
}

/** The model entry to ask: the one named (by name, `name@version` or id), else the node's first ready one. */
export async function pickModel(node: NodeClient, wanted: string | undefined): Promise<ModelListEntry> {
  const models = await node.models();
  const names = (m: ModelListEntry) =>
    wanted === undefined
      ? m.concord.state === 'ready'
      : [m.id, `${m.id}@${m.concord.versionIndex}`, m.concord.modelId].includes(wanted);
  const found = models.find(names);
  if (found === undefined) {
    const list = models.map((m) => `${m.id}@${m.concord.versionIndex} (${m.concord.state})`).join(', ');
    throw new UsageError(
      wanted === undefined
        ? `${node.baseUrl} serves no ready model yet.`
        : `${node.baseUrl} serves no model '${wanted}'.`,
      { hint: list === '' ? 'Publish a model version first (concord devnet does).' : `It knows: ${list}.` },
    );
  }
  return found;
}

/** Streams the completion, handing each piece of text to `onText`, and collects the final chunk's report. */
async function streamAnswer(
  node: NodeClient,
  model: string,
  body: Record<string, unknown>,
  querier: AskResult['querier'],
  onText: ((text: string) => void) | undefined,
): Promise<AskResult> {
  const result: AskResult = {
    model,
    text: '',
    tokens: 0,
    session: null,
    finishReason: null,
    settlement: null,
    querier,
  };
  for await (const chunk of node.streamCompletion(body)) {
    const choice = chunk.choices[0];
    const text = choice?.text ?? '';
    result.text += text;
    if (text !== '') onText?.(text);
    if (chunk.concord?.token !== undefined) result.tokens++;
    if (choice?.finish_reason) result.finishReason = choice.finish_reason;
    if (chunk.concord?.session !== undefined) result.session = chunk.concord.session;
    if (chunk.concord?.settlement !== undefined) result.settlement = chunk.concord.settlement;
    if (chunk.concord?.settlementError !== undefined) result.settlementError = chunk.concord.settlementError;
  }
  return result;
}

/** One line about how the answer ended and what the chain recorded. */
function summary(r: AskResult): string {
  const settled = r.settlement
    ? `settled: ${r.settlement.credits} credits (tx ${r.settlement.txHash})${
        r.settlement.slashed.length > 0
          ? `, slashed ${r.settlement.slashed.map((s) => `${s.host} by ${s.amount}`).join(', ')}`
          : ''
      }`
    : `not settled${r.settlementError ? `: ${r.settlementError}` : ''}`;
  return `[${r.tokens} tokens, ${r.finishReason ?? 'no final chunk'}; session ${r.session ?? '?'}; ${settled}]`;
}

/** `{ [field]: number }` from a flag's value when given and `valid`, else `{}`. */
function optionalNumber(
  field: string,
  v: CommandContext['values'][string],
  flag: string,
  valid: (n: number) => boolean,
): Record<string, number> {
  if (v === undefined) return {};
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || !valid(n)) {
    throw new UsageError(`${flag} has an invalid value '${String(v)}'.`, {
      hint: 'Run `concord ask --help` for the accepted ranges.',
    });
  }
  return { [field]: n };
}

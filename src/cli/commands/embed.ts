import type { Address } from 'viem';
import { requestToJson } from '../../chain/requestJson.ts';
import type { EmbeddingsAnswer } from '../../client/nodeClient.ts';
import { resolveNode } from '../../client/target.ts';
import { ensureDeposit, signedRequest } from '../../devnet/askDemo.ts';
import { type Command, UsageError } from '../command.ts';
import { pickModel } from './ask.ts';
import { resolveSigner, signerOptions } from './creditsSigner.ts';
import { targetFlags } from './taskTarget.ts';

/** How many leading values `concord embed` prints without `--json`. */
export const EMBED_PREVIEW_VALUES = 8;

/** What `concord embed --json` prints. */
export type EmbedResult = {
  model: string;
  embedding: number[];
  dimensions: number;
  /** Euclidean norm of the vector. */
  norm: number;
  promptTokens: number;
  session: string;
  agreed: Address[];
  outvoted: Address[];
  settlement: EmbeddingsAnswer['concord']['settlement'];
  settlementError?: string;
  /** Who paid: the `--key` account, or the node itself (API token). */
  querier: Address | 'node';
};

/**
 * `concord embed "text"`: the embedding of a text computed by the network
 * (`POST /v1/embeddings`), paid like `concord ask` (with `--key`'s credits or
 * by the node through its API token); an embedding bills no token.
 */
export const embedCommand: Command = {
  path: ['embed'],
  summary: 'embed a text with a served model; computed by the network',
  usage: [
    'Usage: concord embed "TEXT" [--model M] [--node URL | --dir D] [--key FILE] [--json]',
    '',
    'Prints the embedding of TEXT computed by the gateway node’s hosts under consensus:',
    'the mean over its tokens of the model’s final layer-normed hidden state (f32).',
    `Without --json: its dimensions, norm and first ${EMBED_PREVIEW_VALUES} values, then the session on stderr.`,
    'With --key the request is signed by that key (funded for one token, none billed);',
    'without, the node pays (needs its API token).',
    '',
    'Options:',
    '  --model M           model name, name@version or id (default: the node’s newest)',
    '  --node URL          the gateway node’s API (default: node 0 of the devnet in --dir)',
    '  --token-file FILE   that node’s API token, when paying through the node',
    '  --key FILE          EVM key file of the querier that signs',
    '  --dir D             devnet directory (default .concord/devnet)',
    '  --chain URL         EVM JSON-RPC URL, with --key (default: the devnet’s)',
    '  --contracts FILE    deployment JSON, with --key (default: the devnet’s)',
    '  --json              print one JSON object with the whole vector',
  ].join('\n'),
  options: { ...signerOptions, model: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, stdout, stderr }) {
    const [text, ...rest] = positionals;
    if (text === undefined || text === '' || rest.length > 0) {
      throw new UsageError('concord embed takes one non-empty TEXT (quote it).', {
        hint: 'Example: concord embed "The state of the Union"',
      });
    }
    const node = resolveNode(targetFlags(values));
    const model = await pickModel(node, typeof values.model === 'string' ? values.model : undefined);
    const body: Record<string, unknown> = { model: model.id, input: text };
    let querier: EmbedResult['querier'] = 'node';
    if (typeof values.key === 'string') {
      const signer = await resolveSigner(values);
      const { request, signature } = await signedRequest(signer, model, 1);
      await ensureDeposit(signer, request.gateway, request.maxCredits, { buy: false });
      body.concord = { request: requestToJson(request), signature };
      querier = signer.account.address;
    }
    const answer = await node.embeddings(body);
    const embedding = answer.data[0]?.embedding ?? [];
    const result: EmbedResult = {
      model: answer.model,
      embedding,
      dimensions: embedding.length,
      norm: Math.hypot(...embedding),
      promptTokens: answer.usage.prompt_tokens,
      session: answer.concord.session,
      agreed: answer.concord.agreed,
      outvoted: answer.concord.outvoted,
      settlement: answer.concord.settlement,
      ...(answer.concord.settlementError === undefined
        ? {}
        : { settlementError: answer.concord.settlementError }),
      querier,
    };
    if (values.json) {
      stdout(JSON.stringify(result));
      return 0;
    }
    const preview = embedding.slice(0, EMBED_PREVIEW_VALUES).map((v) => v.toFixed(6));
    const more = embedding.length > EMBED_PREVIEW_VALUES ? ', …' : '';
    stdout(`${result.dimensions} dimensions, norm ${result.norm.toFixed(6)}: [${preview.join(', ')}${more}]`);
    stderr(
      `[${result.model}, ${result.promptTokens} tokens; session ${result.session}; ${result.agreed.length} hosts agreed` +
        `${result.outvoted.length > 0 ? `, outvoted: ${result.outvoted.join(', ')}` : ''}]`,
    );
    return 0;
  },
};

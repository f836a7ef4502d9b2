import { basename } from 'node:path';
import { registerModel } from '../../client/registerModel.ts';
import { resolveNode } from '../../client/target.ts';
import { type Command, UsageError } from '../command.ts';
import { readCheckpointFile } from './checkpointFile.ts';
import { resolveSigner, signerOptions, signerUsage } from './creditsSigner.ts';
import { targetFlags } from './taskTarget.ts';

/** `concord model create FILE`: registers a model on chain from a local checkpoint. */
export const modelCreateCommand: Command = {
  path: ['model', 'create'],
  summary: 'register a model on chain from a checkpoint (Concord or Hugging Face GPT-2 safetensors)',
  usage: [
    'Usage: concord model create FILE.safetensors [--name N] [--key FILE] [--node URL --token-file FILE]',
    '                            [--dir D | --chain URL --contracts FILE] [--json]',
    '',
    'FILE is a Concord checkpoint or a Hugging Face GPT-2 model.safetensors, which is',
    "converted (importGpt) to Concord's format with GPT-2's BPE tokenizer in its metadata.",
    'The node stores it as a model and answers its model digest; the key holder creates the',
    'model in ModelRegistry with that digest as version 0 and owns it. Nodes serve the newest',
    'model: they load it next. A file that is no usable checkpoint exits 2, registering nothing.',
    '',
    'Options:',
    '  --name N            the model name in the registry (default: FILE without .safetensors)',
    '  --node URL          the node that stores the checkpoint (default: node 0 of the devnet in --dir)',
    '  --token-file FILE   that node’s API token (a devnet’s is found by itself)',
    ...signerUsage,
  ].join('\n'),
  options: { ...signerOptions, name: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, stdout }) {
    const [file, ...rest] = positionals;
    if (file === undefined || rest.length > 0) {
      throw new UsageError('concord model create takes one checkpoint FILE.', {
        hint: 'Example: concord model create model.safetensors --name gpt2',
      });
    }
    const name = typeof values.name === 'string' ? values.name : basename(file).replace(/\.safetensors$/, '');
    if (name.length === 0 || name.length > 128) {
      throw new UsageError(`--name must be 1..128 characters, got '${name}'.`);
    }
    const checkpoint = readCheckpointFile(file);
    const owner = await resolveSigner(values);
    const node = resolveNode(targetFlags(values));
    const model = await registerModel(owner, node, checkpoint.bytes, name);
    const { config } = checkpoint;
    if (values.json) {
      stdout(
        JSON.stringify({
          modelId: model.modelId.toString(),
          name,
          digest: model.genesisDigest,
          owner: owner.account.address,
          source: checkpoint.source,
          parameters: checkpoint.parameters,
          config,
          tx: model.txHash,
        }),
      );
      return 0;
    }
    const from = checkpoint.source === 'gpt2' ? 'Hugging Face GPT-2, converted' : 'Concord checkpoint';
    stdout(`model ${model.modelId} '${name}' created by ${owner.account.address} (tx ${model.txHash})`);
    stdout(`digest  ${model.genesisDigest} (version 0)`);
    stdout(
      `from    ${file}: ${from}; ${checkpoint.parameters} parameters, ${config.nLayers} layers, d ${config.dModel}, vocabulary ${config.vocabSize}`,
    );
    stdout(
      `next    \`concord model versions --model ${model.modelId} --node URL\` shows when nodes serve it;`,
    );
    stdout(
      `        \`concord train --model ${model.modelId} --checkpoint ${file} --data FILE|DIR\` trains it`,
    );
    return 0;
  },
};

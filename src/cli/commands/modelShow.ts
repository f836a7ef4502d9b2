import { formatTable } from '../../client/format.ts';
import { DEFAULT_MODELS_DIR, readLocalModel } from '../../devnet/localModels.ts';
import { type Command, UsageError } from '../command.ts';

/** `concord model show NAME`: one model's metadata and tensors. */
export const modelShowCommand: Command = {
  path: ['model', 'show'],
  summary: "show a local model: metadata (config, tokenizer) and every tensor's shape",
  usage: [
    'Usage: concord model show NAME|FILE [--dir D] [--json]',
    '',
    'Options:',
    `  --dir D   directory to find NAME in (default ${DEFAULT_MODELS_DIR})`,
    '  --json    print JSON',
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals, stdout }) {
    const name = positionals[0];
    if (positionals.length !== 1 || name === undefined) {
      throw new UsageError('concord model show takes one model name or file.', {
        hint: '`concord model list` shows the names.',
      });
    }
    const model = readLocalModel(name, typeof values.dir === 'string' ? values.dir : DEFAULT_MODELS_DIR);
    if (values.json) {
      stdout(JSON.stringify(model));
      return 0;
    }
    stdout(`${model.name}  ${model.parameters} parameters  ${model.bytes} bytes`);
    stdout(`file    ${model.file}`);
    stdout(`digest  ${model.digest}`);
    if (model.modelDigest) stdout(`model digest  ${model.modelDigest} (as a model version on chain)`);
    for (const [key, value] of Object.entries(model.metadata)) {
      stdout(`${key}  ${value.length > 200 ? `${value.slice(0, 200)}…` : value}`);
    }
    const rows = model.tensors.map((t) => [t.name, t.dtype, `(${t.shape.join(', ')})`]);
    for (const line of formatTable(['tensor', 'dtype', 'shape'], rows)) stdout(line);
    return 0;
  },
};

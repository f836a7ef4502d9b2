import { formatTable } from '../../client/format.ts';
import { DEFAULT_MODELS_DIR, listModelFiles, readLocalModel } from '../../devnet/localModels.ts';
import type { Command } from '../command.ts';

/** `concord model list`: the safetensors models on this machine. */
export const modelListCommand: Command = {
  path: ['model', 'list'],
  summary: 'list the local models (safetensors files): size, parameters, digest',
  usage: [
    'Usage: concord model list [--dir D] [--json]',
    '',
    'Options:',
    `  --dir D   directory of *.safetensors files (default ${DEFAULT_MODELS_DIR})`,
    '  --json    print JSON',
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, stdout }) {
    const dir = typeof values.dir === 'string' ? values.dir : DEFAULT_MODELS_DIR;
    const models = listModelFiles(dir).map((file) => readLocalModel(file));
    if (values.json) {
      stdout(
        JSON.stringify(
          models.map(({ name, file, bytes, digest, parameters }) => ({
            name,
            file,
            bytes,
            digest,
            parameters,
          })),
        ),
      );
      return 0;
    }
    if (models.length === 0) {
      stdout(`no models in ${dir}`);
      return 0;
    }
    const rows = models.map((m) => [m.name, String(m.parameters), String(m.bytes), m.digest]);
    for (const line of formatTable(['name', 'parameters', 'bytes', 'digest'], rows)) stdout(line);
    return 0;
  },
};

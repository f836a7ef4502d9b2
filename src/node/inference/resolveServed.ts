import { ModelNotReadyError, ServedModelNotFoundError } from './completionErrors.ts';
import type { ModelService, ServedModel, ServedModelStatus } from './types.ts';

/** Whether `model` (a name, `name@version` or a decimal model id) names `status`. */
function names(status: ServedModelStatus, model: string): boolean {
  return (
    model === status.name || model === `${status.name}@${status.versionIndex}` || model === status.modelId
  );
}

/** The status of the model `model` names (a name, `name@version` or a decimal model id), if the node knows it. */
export function findModelStatus(models: ModelService, model: string): ServedModelStatus | undefined {
  return models.status().find((s) => names(s, model));
}

/**
 * The ready served model a completion asks for (the newest when `model` is
 * omitted). Throws ServedModelNotFoundError (404) when the node knows no such
 * model, and ModelNotReadyError (503) when it knows it but cannot serve it yet
 * (loading, or failed, with the reason).
 */
export function resolveServed(models: ModelService, model: string | undefined): ServedModel {
  try {
    return models.resolve(model);
  } catch (cause) {
    const known = model === undefined ? models.status()[0] : findModelStatus(models, model);
    if (known !== undefined) {
      throw new ModelNotReadyError(`Model ${known.name} version ${known.versionIndex} is ${known.state}.`, {
        cause,
        ...(known.error === undefined ? {} : { details: known.error }),
        hint: 'Try again once GET /v1/models shows it ready.',
      });
    }
    if (model === undefined) {
      throw new ModelNotReadyError('This node serves no model yet.', {
        cause,
        hint: 'Publish a model version (a training round), or wait for the node to load it.',
      });
    }
    throw new ServedModelNotFoundError(`This node knows no model '${model}'.`, {
      cause,
      param: 'model',
      hint: 'GET /v1/models lists the models it serves.',
    });
  }
}

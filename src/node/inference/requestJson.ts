import { getAddress } from 'viem';
import type { InferenceRequest } from '../../chain/inferenceRequest.ts';

/** An {@link InferenceRequest} as JSON carries it: integers as decimal strings. */
export type InferenceRequestJson = {
  querier: string;
  gateway: string;
  modelId: string;
  versionIndex: string;
  creditsPerToken: string;
  maxCredits: string;
  nonce: string;
  deadline: string;
};

/** The JSON form of a request (the body field `concord.request` of a completion). */
export function requestToJson(request: InferenceRequest): InferenceRequestJson {
  return {
    querier: request.querier,
    gateway: request.gateway,
    modelId: request.modelId.toString(),
    versionIndex: request.versionIndex.toString(),
    creditsPerToken: request.creditsPerToken.toString(),
    maxCredits: request.maxCredits.toString(),
    nonce: request.nonce.toString(),
    deadline: request.deadline.toString(),
  };
}

/** Parses the JSON form (already schema-checked: addresses and decimal strings). */
export function requestFromJson(json: InferenceRequestJson): InferenceRequest {
  return {
    querier: getAddress(json.querier),
    gateway: getAddress(json.gateway),
    modelId: BigInt(json.modelId),
    versionIndex: BigInt(json.versionIndex),
    creditsPerToken: BigInt(json.creditsPerToken),
    maxCredits: BigInt(json.maxCredits),
    nonce: BigInt(json.nonce),
    deadline: BigInt(json.deadline),
  };
}

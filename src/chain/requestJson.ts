import { getAddress, isAddress } from 'viem';
import type { InferenceRequest } from './inferenceRequest.ts';

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

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/** The fields of an {@link InferenceRequestJson}, in the request's EIP-712 order. */
export const REQUEST_JSON_FIELDS = [
  'querier',
  'gateway',
  'modelId',
  'versionIndex',
  'creditsPerToken',
  'maxCredits',
  'nonce',
  'deadline',
] as const;

/** Whether an untrusted value is an {@link InferenceRequestJson}: addresses and decimal uint256 strings, no other field. */
export function isRequestJson(value: unknown): value is InferenceRequestJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const keys = REQUEST_JSON_FIELDS;
  if (Object.keys(v).length !== keys.length) return false;
  return keys.every(
    (k, i) =>
      typeof v[k] === 'string' &&
      (i < 2 ? isAddress(v[k], { strict: false }) : DECIMAL.test(v[k]) && BigInt(v[k]) < 2n ** 256n),
  );
}

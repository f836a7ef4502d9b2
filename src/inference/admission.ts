import type { Hex } from 'viem';
import type { InferenceRequest } from '../chain/inferenceRequest.ts';

/** The querier's request a session serves, and its signature (the AccessCredits voucher settlement spends). */
export type SessionAuth = { readonly request: InferenceRequest; readonly signature: Hex };

/**
 * How a host decides whether to serve a session it has not served before:
 * resolves to admit, throws InferSessionUnauthorizedError (no valid request)
 * or InferSessionUnfundedError (the querier's deposit for the gateway does not
 * cover the request) to refuse. `auth` is what the gateway sent (null when it
 * sent none); its session id was checked to be `session`. Nodes check on chain
 * (src/node/inference/hostAdmission.ts).
 */
export type SessionAdmission = (auth: SessionAuth | null, session: Hex) => Promise<void>;

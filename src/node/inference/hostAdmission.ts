import type { ConcordContext } from '../../chain/context.ts';
import { verifyRequest } from '../../chain/inferenceRequest.ts';
import {
  InferSessionUnauthorizedError,
  InferSessionUnfundedError,
  type SessionAdmission,
} from '../../inference/index.ts';
import { chainNow } from '../chainTime.ts';
import { depositShortfall } from './deposit.ts';
import { creditsDomain } from './querier.ts';

/**
 * The admission policy of a node's inference host serving model `modelId`
 * version `versionIndex`: a session is served only with its querier's request
 * (InferSessionUnauthorizedError when it is missing, not signed by the querier
 * in this chain's AccessCredits domain, for another model version, or
 * expired) whose deposit for the gateway covers it until its deadline
 * (InferSessionUnfundedError, see {@link depositShortfall}).
 */
export function chainSessionAdmission(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'chain'>,
  version: { modelId: bigint; versionIndex: bigint },
): SessionAdmission {
  return async (auth) => {
    if (auth === null) throw new InferSessionUnauthorizedError('the session carries no querier request');
    const { request, signature } = auth;
    if (!(await verifyRequest(request, signature, creditsDomain(ctx)).catch(() => false))) {
      throw new InferSessionUnauthorizedError(`the request is not signed by its querier ${request.querier}`);
    }
    if (request.modelId !== version.modelId || request.versionIndex !== version.versionIndex) {
      throw new InferSessionUnauthorizedError(
        `the request is for model ${request.modelId} version ${request.versionIndex}, not the one served`,
      );
    }
    if (request.deadline <= BigInt(await chainNow(ctx))) {
      throw new InferSessionUnauthorizedError(`the request expired at ${request.deadline}`);
    }
    const shortfall = await depositShortfall(ctx, request);
    if (shortfall !== undefined) throw new InferSessionUnfundedError(`unfunded session: ${shortfall}`);
  };
}

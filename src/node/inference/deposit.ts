import { depositOf, withdrawalDelay } from '../../chain/actions/depositOf.ts';
import type { ConcordContext } from '../../chain/context.ts';
import type { InferenceRequest } from '../../chain/inferenceRequest.ts';
import { chainNow } from '../chainTime.ts';

/**
 * Why `request` is not funded, or undefined when it is: the querier's deposit
 * for the request's gateway must hold `needed` credits (the request's
 * `maxCredits`; a gateway asks for the caps of all the querier's open sessions
 * together, see CreditReservations), and stay locked until the
 * request's deadline — the deadline is within AccessCredits' withdrawal delay
 * from now (so a withdrawal asked for now unlocks after it) and any pending
 * withdrawal unlocks after it. The gateway checks before admitting a request,
 * every host before serving its session.
 */
export async function depositShortfall(
  ctx: Pick<ConcordContext, 'publicClient' | 'addresses' | 'chain'>,
  request: InferenceRequest,
  needed: bigint = request.maxCredits,
): Promise<string | undefined> {
  const [deposit, delay, now] = await Promise.all([
    depositOf(ctx, { querier: request.querier, gateway: request.gateway }),
    withdrawalDelay(ctx),
    chainNow(ctx),
  ]);
  const held = deposit.granted + deposit.bought;
  if (held < needed) {
    return needed === request.maxCredits
      ? `${request.querier} locked ${held} credits for gateway ${request.gateway}; the request caps the session at ${request.maxCredits}`
      : `${request.querier} locked ${held} credits for gateway ${request.gateway}; its open sessions and this one cap ${needed}`;
  }
  if (request.deadline >= BigInt(now) + delay) {
    return `the request's deadline ${request.deadline} is not within the ${delay} s withdrawal delay of chain time ${now}`;
  }
  if (deposit.unlockAt !== 0n && deposit.unlockAt <= request.deadline) {
    return `the deposit unlocks at ${deposit.unlockAt}, before the request's deadline ${request.deadline}`;
  }
  return undefined;
}

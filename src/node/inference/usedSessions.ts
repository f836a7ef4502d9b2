import type { Hex } from 'viem';
import type { Settings } from '../../store/settings.ts';

/** Settings key prefix of the sessions this node has served (the value is when, in unix ms). */
const KEY_PREFIX = 'inference.session.';

/**
 * Records that this node serves session `id`, durably (the store commits
 * before returning, so a node killed right after still knows). Returns false,
 * recording nothing, when the session was claimed before: the request is a
 * replay. Check and write are one synchronous step, so two concurrent
 * requests cannot both claim one id.
 */
export function claimSession(
  settings: Pick<Settings, 'get' | 'set'>,
  id: Hex,
  now: number = Date.now(),
): boolean {
  const key = `${KEY_PREFIX}${id.toLowerCase()}`;
  if (settings.get(key) !== undefined) return false;
  settings.set(key, String(now));
  return true;
}

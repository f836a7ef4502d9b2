import type { Address, Hex } from 'viem';
import type { InferenceRequest } from '../chain/inferenceRequest.ts';
import {
  type InferenceDomain,
  type SignedStatement,
  type StatementItem,
  verifyStatement,
} from '../chain/inferenceStatement.ts';
import { InferSignatureError } from './errors.ts';
import { type HostTally, receiptOfVotes, type SessionReceipt } from './receipt.ts';
import { buildSettlement, type SessionSettlement } from './settlement.ts';

/** Signatures checked between two turns of the event loop. */
const VERIFY_CHUNK = 8;

/** Names one answered item of one host: whose answer, for which partial product. */
function answerKey(
  host: Address,
  item: { step: number; layer: number; matrix: string; shard: number },
): string {
  return `${host}/${item.step}/${item.layer}/${item.matrix}/${item.shard}`;
}

/**
 * The evidence of one session: every item each host answered (unsigned until
 * the host seals), the signed statements, which answers lost, and per-host
 * tallies — what the receipt and the on-chain settlement are built from.
 */
export class VoteLedger {
  readonly #session: Hex;
  readonly #domain: InferenceDomain;
  readonly #tallies = new Map<Address, HostTally>();
  readonly #votes: SignedStatement[] = [];
  /** With at-receipt checking: how many of `#votes` (from the start) are verified. */
  #verified = 0;
  /** Per host, the items it answered since its last signature (what it must sign next). */
  readonly #unsealed = new Map<Address, StatementItem[]>();
  /**
   * Answers (`answerKey`) whose digest was not the decided one: outvoted, or
   * of a product left undecided. Every other answer won (kept as the
   * exceptions, so a long session does not hold one entry per answer).
   */
  readonly #lost = new Set<string>();

  /** The ledger of session `session`, whose statements are signed for `domain`. */
  constructor(session: Hex, domain: InferenceDomain) {
    this.#session = session;
    this.#domain = domain;
  }

  /** Records items a host answered (unsigned), in the order the host answered them. */
  answered(host: Address, items: readonly StatementItem[]): void {
    const list = this.#unsealed.get(host) ?? [];
    list.push(...items);
    this.#unsealed.set(host, list);
  }

  /**
   * Takes a host's signature over everything it answered since its last one.
   * With `check`, verifies it first and throws InferSignatureError when it
   * does not sign exactly those items.
   */
  async sealed(host: Address, signature: Hex, check: boolean): Promise<void> {
    const statement = { session: this.#session, items: this.#unsealed.get(host) ?? [] };
    this.#unsealed.set(host, []);
    if (check && !(await verifyStatement({ host, statement, signature }, this.#domain))) {
      throw new InferSignatureError(`Host ${host} did not sign the answers it gave.`);
    }
    this.#votes.push({ host, statement, signature });
  }

  /** Forgets a failed host's unsigned answers (they will not be signed). */
  dropUnsealed(host: Address): void {
    this.#unsealed.delete(host);
  }

  /** Marks an answer as not the decided one. */
  lost(host: Address, item: { step: number; layer: number; matrix: string; shard: number }): void {
    this.#lost.add(answerKey(host, item));
  }

  /** The tally of `host` (created at zero). */
  tally(host: Address): HostTally {
    let t = this.#tallies.get(host);
    if (!t) {
      t = { address: host, wins: 0, losses: 0, failures: 0 };
      this.#tallies.set(host, t);
    }
    return t;
  }

  /**
   * The signed votes; with `verifyNow`, verifies those not verified yet,
   * dropping bad ones and reporting their hosts to `onBad` (once: later calls
   * see the same votes).
   */
  async checkedVotes(verifyNow: boolean, onBad: (host: Address) => void): Promise<SignedStatement[]> {
    if (!verifyNow) return this.#votes;
    const from = this.#verified;
    const unchecked = this.#votes.slice(from); // votes arriving meanwhile stay unchecked, after these
    const valid: boolean[] = [];
    for (const v of unchecked) {
      valid.push(await verifyStatement(v, this.#domain));
      // A recovery is milliseconds of CPU: let the node's other work (pings, other sessions) run between them.
      if (valid.length % VERIFY_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const good = unchecked.filter((v, i) => {
      if (!valid[i]) onBad(v.host);
      return valid[i];
    });
    this.#votes.splice(from, unchecked.length, ...good);
    this.#verified = from + good.length;
    return this.#votes.slice(0, this.#verified);
  }

  /** The session receipt over `votes`. */
  receipt(votes: readonly SignedStatement[], modelDigest: Hex, tokens: number): SessionReceipt {
    return receiptOfVotes({
      session: this.#session,
      domain: this.#domain,
      modelDigest,
      tokens,
      tallies: [...this.#tallies.values()],
      votes,
    });
  }

  /** The settlement of `request` over `votes`, each signed item marked won or lost. */
  settlement(
    request: InferenceRequest,
    votes: readonly SignedStatement[],
    tokens: number,
    stakes: ReadonlyMap<Address, bigint>,
    slashable: boolean,
  ): SessionSettlement {
    return buildSettlement({
      request,
      tokens: BigInt(tokens),
      statements: votes.map((v) => ({
        ...v,
        won: v.statement.items.map((item) => !this.#lost.has(answerKey(v.host, item))),
      })),
      domain: this.#domain,
      stakes,
      slashable,
    });
  }
}

import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { type Address, getAddress, type Hex } from 'viem';
import { sessionIdOf } from '../chain/inferenceRequest.ts';
import type { InferenceDomain } from '../chain/inferenceStatement.ts';
import type { GptParams, Tokenizer } from '../model/index.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import type { SessionAuth } from './admission.ts';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_SEAL_TOKENS } from './constants.ts';
import { GatewayConfigError } from './errors.ts';
import { gptExchanges } from './exchange.ts';
import { HostHealth } from './hostHealth.ts';
import { HostLink } from './hostLink.ts';
import { type InferenceMetrics, NO_INFERENCE_METRICS } from './metrics.ts';
import type { ShardPlan } from './planner.ts';
import { InferenceSession, type SealEvery, type SignatureCheck } from './session.ts';
import type { ConsensusMode } from './shardDecision.ts';
import { type PlanFlags, planFlags } from './wire.ts';

/** What a gateway needs: its libp2p host, the chain, the plan, the model and how to reach each host. */
export type InferenceGatewayInit = {
  host: ConcordHost;
  /** Where host signatures must count: chain id and, for on-chain settlement, the InferenceSettlement address. */
  domain: InferenceDomain;
  plan: ShardPlan;
  /**
   * The plan parameters sent to hosts, which refuse a gateway whose differ from
   * theirs (default: the plan's own). Nodes send the flags they plan with.
   */
  planFlags?: PlanFlags;
  /**
   * The model version's parameters. The gateway reads only the embeddings,
   * layer norms and shapes; the matrix products go to the hosts.
   */
  params: GptParams;
  /** Peer id or multiaddrs of every host address the plan names (hosts and standbys). */
  peers: ReadonlyMap<Address, PeerId | Multiaddr | Multiaddr[]>;
  /** Default exact majority of digests. */
  mode?: ConsensusMode;
  /** Per message to a host; default 10 s. */
  timeoutMs?: number;
  /** Default 'at-receipt': signatures are checked in bulk when the receipt is built. */
  signatureCheck?: SignatureCheck;
  /** Default 'token': hosts sign once every `sealTokens` tokens. */
  sealEvery?: SealEvery;
  /** Tokens per signature with per-token sealing; default DEFAULT_SEAL_TOKENS (8). */
  sealTokens?: number;
  /** Turns tokens into streamed text. */
  tokenizer?: Tokenizer;
  /** The memory of failed hosts across sessions (default: a fresh one with HOST_COOLDOWN_MS). */
  health?: HostHealth;
  /** Where failovers are logged, one line each (default: nowhere). */
  log?: (line: string) => void;
  /** Where sessions, tokens, their latency and failovers are counted (default: nowhere). */
  metrics?: InferenceMetrics;
};

/**
 * The gateway of distributed inference: checks that the plan fits the model
 * and names only reachable hosts, then opens sessions that generate tokens
 * with every exchange decided by the hosts' consensus. It keeps one link per
 * host shared by all its sessions (their parts travel in one message per
 * host and round) and remembers failed hosts across sessions.
 */
export class InferenceGateway {
  readonly #init: InferenceGatewayInit;
  readonly #peers: Map<Address, PeerId | Multiaddr | Multiaddr[]>;
  readonly #links = new Map<Address, HostLink>();
  readonly #health: HostHealth;

  /** Throws GatewayConfigError when the plan's matrices are not the model's, or a planned host has no peer. */
  constructor(init: InferenceGatewayInit) {
    this.#init = init;
    this.#peers = new Map([...init.peers].map(([a, p]) => [getAddress(a), p]));
    this.#health = init.health ?? new HostHealth();
    const expected = gptExchanges(init.params.config);
    const planned = init.plan.parameters.matrices;
    const same =
      expected.length === planned.length &&
      expected.every((m, i) => {
        const p = planned[i]!;
        return p.name === m.name && p.rows === m.rows && p.cols === m.cols && p.layer === m.layer;
      });
    if (!same) {
      throw new GatewayConfigError('The shard plan does not describe this model’s matrices.', {
        hint: 'Plan with gptExchanges(params.config) of the same model version.',
      });
    }
    for (const s of init.plan.shards) {
      for (const h of [...s.hosts, ...s.standbys]) {
        if (!this.#peers.has(h)) {
          throw new GatewayConfigError(`Host ${h} is in the plan but has no peer address.`, {
            hint: 'Resolve every planned host (registry peer id binding) before opening the gateway.',
          });
        }
      }
    }
    if (init.mode?.kind === 'tolerant' && !(Number.isFinite(init.mode.epsilon) && init.mode.epsilon >= 0)) {
      throw new GatewayConfigError(
        `Tolerant epsilon must be a finite number >= 0 (got ${init.mode.epsilon}).`,
      );
    }
  }

  /**
   * A new session. With `auth` (the querier's signed request, for a session
   * settled on chain) its id is `sessionIdOf(auth.request)` and every host is
   * sent the request, which it checks before serving; otherwise its id is
   * `options.id`, or 32 random bytes (hosts that require a request refuse it).
   * Generate with `session.generate`; settle with `session.settlement(request)`
   * and `settleAndSlash`. Throws SessionIdInvalidError for an id that is not 32 bytes of hex.
   */
  openSession(options: { id?: Hex; auth?: SessionAuth } = {}): InferenceSession {
    const init = this.#init;
    return new InferenceSession({
      id: options.auth ? sessionIdOf(options.auth.request) : options.id,
      auth: options.auth,
      domain: init.domain,
      plan: init.plan,
      params: init.params,
      link: (host) => this.#link(host),
      health: this.#health,
      mode: init.mode ?? { kind: 'exact' },
      signatureCheck: init.signatureCheck ?? 'at-receipt',
      sealEvery: init.sealEvery ?? 'token',
      sealTokens: init.sealTokens ?? DEFAULT_SEAL_TOKENS,
      tokenizer: init.tokenizer,
      log: init.log ?? (() => {}),
      metrics: init.metrics ?? NO_INFERENCE_METRICS,
    });
  }

  /** Closes the streams to every host (sessions still running reopen them). */
  async close(): Promise<void> {
    const links = [...this.#links.values()];
    this.#links.clear();
    await Promise.all(links.map((l) => l.close()));
  }

  #link(host: Address): HostLink {
    let link = this.#links.get(host);
    if (!link) {
      const peer = this.#peers.get(host);
      if (peer === undefined) throw new GatewayConfigError(`No address is known for host ${host}.`);
      link = new HostLink(this.#init.host, peer, this.#init.plan.parameters.modelDigest, {
        timeoutMs: this.#init.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
        plan: this.#init.planFlags ?? planFlags(this.#init.plan.parameters),
      });
      this.#links.set(host, link);
    }
    return link;
  }
}

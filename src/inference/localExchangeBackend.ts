import { type GptParams, headDim, type Placement } from '../model/index.ts';
import { ExchangeRequestInvalidError } from './errors.ts';
import { type ExchangeBackend, type ExchangeSpec, gptExchanges } from './exchange.ts';
import { type Sharding, shardRanges } from './planner.ts';
import { attnPartial, headLogits, mlpPartial } from './shards/compute.ts';
import { HeadGroupCache } from './shards/kvCache.ts';
import { cutExchangeShard, type ExchangeShardWeights, placeShardInKernelMemory } from './shards/weights.ts';

/** An exchange backend computing in this process; `dispose()` frees its kernel memory. */
export type LocalExchangeBackend = ExchangeBackend & {
  /** Frees the shards' kernel-memory copies and caches; the backend must not be used afterwards. */
  dispose(): void;
};

/** Options of `localExchangeBackend`. */
export type LocalExchangeBackendOptions = {
  /** Where shard weights and caches live (default 'js'); 'kernel' is about twice as fast. */
  readonly placement?: Placement;
};

type LocalExchange = {
  readonly spec: ExchangeSpec;
  readonly shards: readonly ExchangeShardWeights[];
  /** One per shard for `attn`, empty otherwise. */
  readonly caches: readonly HeadGroupCache[];
};

/**
 * The backend of one session that computes every shard of every exchange
 * here, cut from `params` under `sharding` exactly as the plan cuts them, each
 * attention shard with its own cache: local decoding in the plan's canonical
 * order, bit-identical to the same sharding served by hosts. Rejects a
 * request that names no exchange of the model (ExchangeRequestInvalidError)
 * or that the shard kernels refuse, without changing any cache.
 */
export function localExchangeBackend(
  params: GptParams,
  sharding: Sharding,
  options: LocalExchangeBackendOptions = {},
): LocalExchangeBackend {
  const placement = options.placement ?? 'js';
  const { config } = params;
  const frees: Array<() => void> = [];
  const exchanges = new Map<string, LocalExchange>();
  for (const spec of gptExchanges(config)) {
    const shards = shardRanges(spec.rows, sharding).map((range, i) => {
      const cut = cutExchangeShard(params, spec, i, range);
      if (placement === 'js') return cut;
      const placed = placeShardInKernelMemory(cut);
      frees.push(placed.free);
      return placed.weights;
    });
    const caches = shards.flatMap((w) =>
      w.kind === 'attn'
        ? [new HeadGroupCache(w.headEnd - w.headStart, headDim(config), config.contextLength, placement)]
        : [],
    );
    exchanges.set(spec.name, { spec, shards, caches });
  }
  const backend: ExchangeBackend = async (request) => {
    const exchange = exchanges.get(request.name);
    if (!exchange || exchange.spec.matrix !== request.kind || exchange.spec.layer !== request.layer) {
      throw new ExchangeRequestInvalidError(
        `No ${request.kind} exchange ${request.name} of layer ${request.layer} in this model.`,
      );
    }
    const { x, rows } = request;
    return exchange.shards.map((w, i) => {
      if (w.kind === 'attn')
        return attnPartial(w, exchange.caches[i]!, x, rows, request.window, request.outFrom);
      return w.kind === 'mlp' ? mlpPartial(w, x, rows) : headLogits(w, x, rows);
    });
  };
  return Object.assign(backend, {
    dispose() {
      for (const free of frees.splice(0)) free();
      for (const exchange of exchanges.values()) for (const cache of exchange.caches) cache.dispose();
    },
  });
}

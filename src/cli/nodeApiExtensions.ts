import type { FastifyInstance } from 'fastify';
import type { ConcordContext } from '../chain/context.ts';
import type { ApiDeps } from '../node/api/types.ts';
import type { Store } from '../store/openStore.ts';
import { nodeDashboardDeps } from '../web/nodeDashboard.ts';
import { registerDashboard } from '../web/registerDashboard.ts';

/** What an extension of a node's API reads: the API's dependencies, the chain and the store. */
export type ApiExtensionContext = { deps: ApiDeps; ctx: ConcordContext; store: Store };

/** Mounts routes of a layer above the node (the dashboard) on a node's API. */
export type ApiExtension = (app: FastifyInstance, node: ApiExtensionContext) => void;

/**
 * The routes `concord node start` mounts beyond `createApi`'s route groups
 * (which the node layer owns): the one list both the command and the OpenAPI
 * generator mount, so adding an extension is one line here.
 */
export const NODE_API_EXTENSIONS: readonly ApiExtension[] = [
  (app, node) => registerDashboard(app, nodeDashboardDeps(node.deps, node.ctx, node.store.blobs)),
];

/** Mounts every extension of {@link NODE_API_EXTENSIONS} on `app`. */
export function extendNodeApi(app: FastifyInstance, node: ApiExtensionContext): void {
  for (const extend of NODE_API_EXTENSIONS) extend(app, node);
}

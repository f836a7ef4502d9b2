import { type ConcordClients, type CreateConcordClientsParameters, createConcordClients } from './client.ts';
import type { Deployment } from './deployment.ts';

/** Clients plus the addresses of a Concord deployment: the first argument of every action. */
export type ConcordContext = ConcordClients & { addresses: Deployment['addresses'] };

/** Connects to `rpcUrl` as the holder of `privateKey`, bound to `deployment`'s contracts. */
export async function createConcordContext(
  params: CreateConcordClientsParameters & { deployment: Pick<Deployment, 'addresses'> },
): Promise<ConcordContext> {
  const { deployment, ...clientParams } = params;
  return { ...(await createConcordClients(clientParams)), addresses: deployment.addresses };
}

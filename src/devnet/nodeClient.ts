import type { CreateTaskResult, TaskListPage, TaskView } from '../node/api/types.ts';
import { NodeApiError, NodeUnreachableError } from './errors.ts';

/** JSON body of `POST /v1/tasks`, amounts as decimal strings. */
export type CreateTaskBody = {
  spec: Record<string, unknown>;
  baseReward: string;
  growthBps?: number;
  maxParticipants: number;
  quorum: number;
  committeeSize: number;
  bond?: string;
  stakeSlash?: string;
  commitSeconds: number;
  revealSeconds: number;
};

/** A thin client of one node's HTTP API; `token` is needed only for writes. */
export class NodeClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** `GET /v1/tasks/:id`. */
  async task(id: bigint | string): Promise<TaskView> {
    return (await this.request('GET', `/v1/tasks/${id}`)) as TaskView;
  }

  /** `GET /v1/tasks` with optional filters. */
  async tasks(query: Record<string, string | number | undefined> = {}): Promise<TaskListPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return (await this.request('GET', `/v1/tasks${qs}`)) as TaskListPage;
  }

  /** `PUT /v1/blobs`: stores bytes on the node, returns their digest. */
  async putBlob(bytes: Uint8Array): Promise<string> {
    const body = (await this.request('PUT', '/v1/blobs', bytes)) as { digest: string };
    return body.digest;
  }

  /** `POST /v1/tasks`: the node escrows the reward and creates the task on chain. */
  async createTask(body: CreateTaskBody): Promise<{ taskId: string; specDigest: string; txHash: string }> {
    return (await this.request('POST', '/v1/tasks', body)) as Record<keyof CreateTaskResult, string>;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      throw new NodeUnreachableError(`No answer from the node at ${this.baseUrl}.`, {
        cause: cause as Error,
        hint: 'Is it running? Start one with `concord devnet` or pass --node URL.',
      });
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok) {
      const e = json.error;
      throw new NodeApiError(
        `${method} ${path} failed with HTTP ${res.status}${e ? ` ${e.code}: ${e.message}` : ''}.`,
        {
          hint:
            res.status === 401
              ? 'Writes need the API token of the node (its <data dir>/api-token): pass --token-file or --data.'
              : 'Check the arguments; `concord task --help` lists them.',
        },
      );
    }
    return json;
  }
}

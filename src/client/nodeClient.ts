import type { Address, Hex } from 'viem';
import type { CreateTaskBody } from '../node/api/schemas.ts';
import type { CreateTaskResult, TaskListPage, TaskView } from '../node/api/types.ts';
import type { SettlementView } from '../node/inference/openaiFormat.ts';
import { readSseData, SSE_DONE } from '../node/inference/sse.ts';
import type { ServedModelStatus } from '../node/inference/types.ts';
import { NodeApiError, NodeUnreachableError } from './errors.ts';

/** How long a streamed completion may take from request to `[DONE]`. */
const STREAM_TIMEOUT_MS = 300_000;

/** What `GET /health` answers (its checks left out). */
export type NodeHealth = {
  status: 'ok' | 'degraded';
  version: string;
  peerId: string;
  address: Address;
  chainId: number;
  chainHead: string;
};

/** One entry of `GET /v1/models`: OpenAI's model object plus what this node serves and asks. */
export type ModelListEntry = {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  concord: ServedModelStatus & { creditsPerToken: string; gateway: Address };
};

/** One chunk of a streamed completion (`data:` of the SSE stream), OpenAI-shaped plus Concord's fields. */
export type CompletionChunk = {
  id?: string;
  object: string;
  choices: { index: number; text?: string; delta?: { content?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  concord?: {
    token?: number;
    agreed?: Address[];
    outvoted?: Address[];
    session?: Hex;
    settlement?: SettlementView | null;
    settlementError?: string;
  };
};

/** The answer of `POST /v1/embeddings` with `encoding_format: "float"`, plus Concord's fields. */
export type EmbeddingsAnswer = {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  concord: {
    session: Hex;
    agreed: Address[];
    outvoted: Address[];
    settlement: SettlementView | null;
    settlementError?: string;
  };
};

/** The event that ends a completion stream that failed after its first token. */
type StreamErrorEvent = { error: { code?: string; message?: string } };

/** A thin client of one node's HTTP API; `token` is needed only for writes. */
export class NodeClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** `GET /health`: the node's identity (its chain account, peer id, chain) and its checks. */
  async health(): Promise<NodeHealth> {
    return (await this.request('GET', '/health')) as NodeHealth;
  }

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

  /** `PUT /v1/blobs?as=model`: stores a checkpoint on the node as a model version, returns its model digest. */
  async putModel(bytes: Uint8Array): Promise<string> {
    const body = (await this.request('PUT', '/v1/blobs?as=model', bytes)) as { digest: string };
    return body.digest;
  }

  /** `POST /v1/tasks` (the body its schema declares): the node escrows the reward and creates the task on chain. */
  async createTask(body: CreateTaskBody): Promise<{ taskId: string; specDigest: string; txHash: string }> {
    return (await this.request('POST', '/v1/tasks', body)) as Record<keyof CreateTaskResult, string>;
  }

  /** `GET /v1/models`: the models this node serves or is loading. */
  async models(): Promise<ModelListEntry[]> {
    return ((await this.request('GET', '/v1/models')) as { data: ModelListEntry[] }).data;
  }

  /**
   * `POST /v1/completions` with `stream: true`: yields each chunk as it
   * arrives, until the stream's `[DONE]`. Throws NodeApiError for an error
   * status, and for the error event of a stream that failed mid-answer.
   */
  async *streamCompletion(body: Record<string, unknown>): AsyncGenerator<CompletionChunk, void, void> {
    const res = await this.send('POST', '/v1/completions', { ...body, stream: true }, STREAM_TIMEOUT_MS);
    if (res.body === null) return;
    for await (const data of readSseData(res.body)) {
      if (data === SSE_DONE) return;
      const event = JSON.parse(data) as CompletionChunk | StreamErrorEvent;
      if ('error' in event) {
        const e = event.error;
        throw new NodeApiError(`The completion failed mid-answer: ${e.code}: ${e.message}`, {
          status: res.status,
          apiCode: e.code,
          hint: 'Only the tokens received are billed; retry the prompt with a new request.',
        });
      }
      yield event;
    }
  }

  /** `POST /v1/embeddings` with `encoding_format: "float"`: the network's embeddings of `body.input`. */
  async embeddings(body: Record<string, unknown>): Promise<EmbeddingsAnswer> {
    const res = await this.send(
      'POST',
      '/v1/embeddings',
      { ...body, encoding_format: 'float' },
      STREAM_TIMEOUT_MS,
    );
    return (await res.json()) as EmbeddingsAnswer;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    return await (await this.send(method, path, body)).json().catch(() => ({}));
  }

  /** Sends a request; throws NodeUnreachableError or, for an error status, NodeApiError with the node's code. */
  private async send(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<Response> {
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
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new NodeUnreachableError(`No answer from the node at ${this.baseUrl}.`, {
        cause: cause as Error,
        hint: 'Is it running? Start one with `concord devnet` or pass --node URL.',
      });
    }
    if (!res.ok) {
      const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      const e = json.error;
      throw new NodeApiError(
        `${method} ${path} failed with HTTP ${res.status}${e ? ` ${e.code}: ${e.message}` : ''}.`,
        {
          status: res.status,
          apiCode: e?.code,
          hint: apiErrorHint(res.status),
        },
      );
    }
    return res;
  }
}

/** What to do about an error status of the node API. */
function apiErrorHint(status: number): string {
  if (status === 401) {
    return 'Writes need the API token of the node (its <data dir>/api-token): pass --token-file or --data.';
  }
  if (status === 404) return 'Check the id; a node without the route may be older than this CLI.';
  if (status === 429 || status === 502 || status === 503) {
    return 'The node is busy, or its model or hosts are not available; retry in a few seconds (see its Retry-After).';
  }
  return 'Check the arguments (`concord <command> --help` lists them); the node log <data dir>/node.log says more.';
}

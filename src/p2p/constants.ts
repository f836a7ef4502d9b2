/** The blob exchange protocol id. */
export const BLOB_PROTOCOL = '/concord/blob/1.0.0';
/** The gossip topic for task announcements. */
export const TASKS_TOPIC = '/concord/tasks/1';
/** Concord's own DHT protocol id, so nodes never join the public IPFS DHT. */
export const DHT_PROTOCOL = '/concord/kad/1.0.0';

/** Largest blob request frame a server reads (checked before parsing). */
export const MAX_BLOB_REQUEST_BYTES = 4 * 1024;
/** Largest response header frame a client reads. */
export const MAX_BLOB_RESPONSE_HEADER_BYTES = 1024;
/** Size of the pieces a server streams a blob in. */
export const BLOB_CHUNK_BYTES = 256 * 1024;
/** Default largest blob a client accepts: 1 GiB. */
export const DEFAULT_MAX_FETCH_BYTES = 1024 * 1024 * 1024;
/** Default time a whole fetch may take. */
export const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
/** Default time a server gives one request, from stream open to last byte. */
export const DEFAULT_SERVE_TIMEOUT_MS = 120_000;
/** A signed request may not be valid for longer than this, which bounds the replay cache. */
export const MAX_REQUEST_VALIDITY_SECONDS = 600;
/**
 * Slack a server allows on both ends of a request's validity: the signer and
 * the server read the chain's time separately (RPC lag; where `pending` is not
 * answered, up to a block interval apart).
 */
export const CHAIN_TIME_TOLERANCE_SECONDS = 30;
/** Default validity of requests signed by `signBlobRequest`. */
export const DEFAULT_REQUEST_VALIDITY_SECONDS = 60;
/** Most remembered nonces; beyond it a server answers BUSY instead of forgetting one. */
export const MAX_REMEMBERED_NONCES = 100_000;
/** Concurrent inbound blob streams per connection. */
export const MAX_INBOUND_BLOB_STREAMS = 8;

/** Largest gossip message accepted (checked before parsing). */
export const MAX_GOSSIP_BYTES = 2 * 1024;

/** Default cap on open connections. */
export const DEFAULT_MAX_CONNECTIONS = 128;
/** Default listen address: loopback, a free port. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0'];
/** File name of the persistent peer key inside the data directory. */
export const PEER_KEY_FILE = 'peer.key';

/** The piece-range protocol id: verified leaf ranges of a model version. */
export const PIECES_PROTOCOL = '/concord/pieces/1.0.0';
/** Default largest payload (sum of the leaves' bytes) a server sends for one request: 64 MiB. */
export const DEFAULT_MAX_PIECES_RANGE_BYTES = 64 * 1024 * 1024;
/** Largest pieces response header (opening and range proof) a client reads. */
export const MAX_PIECES_HEADER_BYTES = 16 * 1024;

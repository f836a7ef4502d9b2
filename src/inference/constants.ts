/** Largest request or response header frame (JSON), checked before parsing. */
export const MAX_INFER_HEADER_BYTES = 256 * 1024;
/** Largest input frame (an item's rows) a host reads, in bytes (checked before reading it). */
export const MAX_ACTIVATION_BYTES = 64 * 1024 * 1024;
/** Largest partial product a gateway reads, in bytes (checked before reading it). */
export const MAX_PARTIAL_BYTES = 64 * 1024 * 1024;
/** Most items (shards) one request part may carry. */
export const MAX_ITEMS_PER_REQUEST = 256;
/** Most session parts one request may carry (concurrent sessions batched into one message). */
export const MAX_PARTS_PER_REQUEST = 128;
/** Most input rows one item may carry (a prompt, a draft, or a whole cache window rebuilt). */
export const MAX_ROWS_PER_ITEM = 65_536;
/** Default time a gateway gives one host call, from dial to last byte. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Default time a host gives one inbound request. */
export const DEFAULT_SERVE_TIMEOUT_MS = 30_000;
/** Concurrent inbound inference streams per connection. */
export const MAX_INBOUND_INFER_STREAMS = 16;
/** Sessions a host remembers the last step of (replay protection); the oldest is forgotten first. */
export const MAX_TRACKED_SESSIONS = 10_000;
/** Items a host answers in one session without signing them before it refuses (the gateway seals per token). */
export const MAX_UNSEALED_ITEMS = 100_000;
/** Sessions whose attention caches a host keeps; beyond it the least recently used idle one is dropped. */
export const MAX_CACHED_SESSIONS = 64;
/** A session's caches may be dropped for a newer session once idle this long (otherwise the host is busy). */
export const CACHE_IDLE_MS = 5_000;
/** How long a gateway avoids a host that failed or timed out, across sessions. */
export const HOST_COOLDOWN_MS = 30_000;
/** Tokens between two host signatures when sealing per token (the rest are signed at settlement). */
export const DEFAULT_SEAL_TOKENS = 8;

/** Largest request or response header frame (JSON), checked before parsing. */
export const MAX_INFER_HEADER_BYTES = 16 * 1024;
/** Largest activation vector a host reads, in bytes (checked before reading it). */
export const MAX_ACTIVATION_BYTES = 4 * 1024 * 1024;
/** Largest partial product a gateway reads, in bytes (checked before reading it). */
export const MAX_PARTIAL_BYTES = 64 * 1024 * 1024;
/** Most items (shards) one request may carry. */
export const MAX_ITEMS_PER_REQUEST = 256;
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

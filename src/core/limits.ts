/**
 * Size limits of the encodings in core/. Every decoder checks them before it
 * allocates, so hostile bytes cannot make a node reserve huge buffers.
 */

/** Largest number of dimensions a tensor may have. */
export const MAX_TENSOR_RANK = 8;

/** Largest value of one dimension (dimensions are stored as u32). */
export const MAX_TENSOR_DIM = 0xffff_ffff;

/** Largest data payload of one tensor, in bytes (1 GiB). */
export const MAX_TENSOR_DATA_BYTES = 2 ** 30;

/** Largest JSON header a safetensors file may have, in bytes (100 MB, as Hugging Face's reader). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** The worker-thread kernel pool: row-parallel linear/matvec/matmul with single-threaded bits. */
export { createKernelPool, type KernelPool } from './createKernelPool.ts';

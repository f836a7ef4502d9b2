/**
 * Version id of every kernel's arithmetic. It is part of each task spec: two
 * nodes agree bit for bit only when they run the same version. Bump it when any
 * reduction order or elementary-function sequence changes (see docs/kernels.md).
 */
export const KERNEL_VERSION = 'concord-k1';

/** The local EFD of real servers on 127.0.0.1 (see stack.ts); `npm run efd:up|down|status|logs`. */
export { up, down, status, logs, parseClusters } from './stack';
export type { UpOptions, UpReport, ServerStatus, LogsOptions } from './stack';
export { readEndpoints, tryReadEndpoints } from './endpoints';
export type { Endpoints, ClusterEndpoints } from './endpoints';
export { EfdError } from './shell';

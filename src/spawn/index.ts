// Fork-free child_process: Node's own ChildProcess over a vfork+exec process handle.
export { spawn } from './spawn';
export type { SpawnOptions, CanforkOptions } from './spawn';
export { spawnSync } from './spawn-sync';
export type { SpawnSyncOptions, SpawnSyncReturns, SpawnError } from './spawn-sync';
export type { SupervisionOptions } from './supervise';

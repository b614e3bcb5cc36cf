// Fork-free child_process: Node's own ChildProcess over a vfork+exec process handle, and the seven
// functions of child_process with Node's signatures, semantics and errors.
export { spawn } from './spawn';
export type { SpawnOptions, CanforkOptions } from './spawn';
export { exec, execFile } from './exec';
export type { ExecOptions, ExecFileOptions } from './exec';
export { fork } from './fork';
export type { ForkOptions } from './fork';
export { spawnSync, execSync, execFileSync } from './spawn-sync';
export type { SpawnSyncOptions, SpawnSyncReturns, ExecSyncOptions, ExecFileSyncOptions } from './spawn-sync';
export type { SupervisionOptions } from './supervise';

// Spawn without fork: the ChildProcess-compatible front and spawnSync.
export { spawn, SpawnedProcess } from './child-process';
export type { SpawnOptions, SpawnError } from './child-process';
export { spawnSync } from './spawn-sync';
export type { SpawnSyncOptions, SpawnSyncReturns } from './spawn-sync';
export type { CommonSpawnOptions, StdioOption, StdioEntry } from './options';

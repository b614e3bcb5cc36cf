// canfork's public API. Everything exported here is documented in README.md.
export { mmap, Mapping, tryAllocate, liveMappingCount } from './mmap';
export type { MmapOptions, TrialResult } from './mmap';
export { getrlimit, setrlimit, prlimit, RLIMIT_RESOURCES } from './rlimit';
export type { Rlimit, RlimitResource } from './rlimit';
export { spawn, exec, execFile, fork, spawnSync, execSync, execFileSync } from './spawn/index';
export type {
  SpawnOptions, CanforkOptions, SupervisionOptions, ExecOptions, ExecFileOptions, ForkOptions, SpawnSyncOptions, SpawnSyncReturns,
  ExecSyncOptions, ExecFileSyncOptions,
} from './spawn/index';
export { register, isRegistered } from './register';
export { waitpid } from './wait';
export type { WaitStatus, WaitpidOptions } from './wait';
export type { SystemError, CodedError } from './errors';
export { canFork, assertCanFork, machineSummary } from './can-fork';
export type { CanForkOptions, ForkError } from './can-fork';
export type {
  ForkReport, ForkReason, ForkWarning, ForkCause, ForkVerdict, OvercommitMode, AccountableVma,
  MemoryReport, NprocReport, CgroupPidsLevel, TasksReport, MachineSummary,
} from './model/report';

// Supervision of spawned trees: process groups that outlive their leader, cgroups, forced kills, killTree.
export { killTree, type KillTreeResult } from './kill-tree';
export { normalizeSupervision, UNSUPERVISED, type SupervisionOptions, type NormalizedSupervision } from './options';
export { Supervisor, type SupervisorOptions, type SignalOutcome } from './supervisor';
export { SupervisedCgroup, liveCgroupCount } from './cgroup';
export { TrackedGroup } from './process-group';
export {
  superviseSpawn, superviseSpawnSync, SpawnSupervision, SyncSpawnSupervision, chooseCgroupSite, setCgroupV2Support, ownSession,
  type SpawnContext, type SupervisedPlanFields,
} from './spawn-supervision';

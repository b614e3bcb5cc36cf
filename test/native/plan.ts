// A native spawn plan written out by hand, so the native tests drive the binding without src/spawn/.
import { native, packStrings, type NativeSpawnPlan } from '../../src/binding';

const { STDIO_IGNORE } = native.constants;

/** argv[0] is the program (the only candidate); stdio all ignored unless `extra` says otherwise. */
export function plan(argv: string[], extra: Partial<NativeSpawnPlan> = {}): NativeSpawnPlan {
  return {
    candidates: packStrings([argv[0]!]), argv: packStrings(argv), envp: packStrings([]), stdio: [STDIO_IGNORE, STDIO_IGNORE, STDIO_IGNORE],
    uid: -1, gid: -1, newSession: false, newProcessGroup: false, rlimits: [], ...extra,
  };
}

/** native.spawn with its out slots read back: { pid, pidfd, fds }, or the negative errno. */
export function spawnChild(spawnPlan: NativeSpawnPlan): { pid: number; pidfd: number; fds: number[] } | number {
  const out = new Int32Array(spawnPlan.stdio.length + 1);
  const pid = native.spawn(spawnPlan, out);
  if (pid < 0) return pid;
  return { pid, pidfd: out[0]!, fds: Array.from(out.subarray(1)) };
}

type SyncResult = Exclude<ReturnType<typeof native.spawnSync>, number>;

/** native.spawnSync with stdout piped (64 KiB maxBuffer); throws when nothing ran. */
export function runSync(argv: string[], extra: Partial<NativeSpawnPlan> = {}, supervision: {
  timeoutMs?: number; killSignal?: number; killGroup?: boolean; forceKillAfterMs?: number; cgroupKillFd?: number;
} = {}): SyncResult & { stdout: string } {
  const { STDIO_PIPE } = native.constants;
  const result = native.spawnSync(
    plan(argv, { stdio: [STDIO_IGNORE, STDIO_PIPE, STDIO_IGNORE], ...extra }), null,
    supervision.timeoutMs ?? 0, supervision.killSignal ?? 15, supervision.killGroup ?? false, 64 * 1024,
    supervision.forceKillAfterMs, supervision.cgroupKillFd,
  );
  if (typeof result === 'number') throw new Error(`spawnSync failed: errno ${result}`);
  return { ...result, stdout: result.output[1]?.toString() ?? '' };
}

// Numbers both sides of the boundary use. native/constants.cc exports each one to JavaScript
// (`native.constants`), so the TypeScript side reads them instead of keeping copies.
#pragma once

#include <sys/wait.h>

namespace canfork::core {

// Per-target entries of SpawnPlan::stdio; any value >= 0 is a parent fd to hand over.
constexpr int kStdioPipe = -1;    // a socketpair: the child gets one end, the parent keeps the other
constexpr int kStdioIgnore = -2;  // /dev/null for 0-2 (0 read-only, 1-2 read-write), left alone above

// The numbers of a spawn plan, packed by src/binding.ts into one Float64Array that native/plan.cc reads:
// this header, then the plan's stdio entries, then its rlimits (flat [resource, soft, hard] triples).
enum PlanSlot {
  kPlanUid, kPlanGid, kPlanFlags, kPlanPdeathsig, kPlanCgroupFd, kPlanStdioCount, kPlanRlimitCount, kPlanHeaderLength
};
// The bits of kPlanFlags.
enum PlanFlag { kPlanNewSession = 1, kPlanNewProcessGroup = 2, kPlanKeepPipesOnExecError = 4 };

// What a waitpid status word says, in the order nix's WaitStatus names them.
enum WaitKind { kWaitExited = 0, kWaitSignaled = 1, kWaitStopped = 2, kWaitContinued = 3 };

// PID_MAX_LIMIT of include/linux/threads.h on 64-bit: no pid is ever larger (kernel.pid_max <= this).
constexpr int kPidMaxLimit = 4 * 1024 * 1024;

// waitid's P_PIDFD (include/uapi/linux/wait.h, 5.4); glibc names it only from 2.36, and prebuilds build
// against 2.28.
constexpr int kIdTypePidfd = 3;

struct DecodedWaitStatus {
  WaitKind kind;
  int value;  // the exit code, or the signal for signaled and stopped
  bool coreDumped;
};

inline DecodedWaitStatus DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return {kWaitExited, WEXITSTATUS(status), false};
  if (WIFSIGNALED(status)) return {kWaitSignaled, WTERMSIG(status), WCOREDUMP(status) != 0};
  if (WIFSTOPPED(status)) return {kWaitStopped, WSTOPSIG(status), false};
  return {kWaitContinued, 0, false};
}

}  // namespace canfork::core

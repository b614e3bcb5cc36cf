// spawnSync's child supervision: SpawnChild, then one blocking poll() loop over the child's pipes and
// its pidfd, as Node's SyncProcessRunner (src/spawn_sync.cc) runs one for child_process.spawnSync.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vfork.h"

namespace canfork::core {

struct SyncOptions {
  const uint8_t* input = nullptr;  // written to fd 0 when it is a pipe, which is then closed
  size_t inputLength = 0;
  int64_t timeoutMs = 0;          // 0: none
  int killSignal = 15;
  bool killGroup = false;         // signal the child's process group (-pid) instead of the child
  double maxBuffer = 1024 * 1024; // bytes on one output before the kill
  int64_t forceKillAfterMs = -1;  // -1: none; else SIGKILL that long after the kill signal
  int cgroupKillFd = -1;          // -1: none; else a cgroup.kill file, written "1" with each kill
};

struct SyncResult {
  int spawnError = 0;  // a negative errno: nothing ran, the rest is empty
  pid_t pid = -1;
  int status = 0;      // the waitpid status word
  std::vector<std::string> output;  // per stdio index; filled for pipes 1+
  int error = 0;       // 0, -ETIMEDOUT, -ENOBUFS, or the errno of a kill signal the kernel refused
};

SyncResult RunSync(const SpawnPlan& plan, const SyncOptions& options);

// Whether RunSync has nothing to wait for but the exit (no pipe, no timeout): then it blocks in the wait
// itself, and the plan needs no pidfd (SpawnPlan::makePidfd).
bool WaitsOnlyForExit(const SpawnPlan& plan, const SyncOptions& options);

}  // namespace canfork::core

// The vfork+exec core shared by spawn (native/spawn.cc) and spawnSync (native/spawn-sync.cc).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "addon.h"

namespace canfork {

// Per-target entries of SpawnPlan::stdio; any value >= 0 is a parent fd to hand over.
constexpr int kStdioPipe = -1;    // a socketpair: the child gets one end, the parent keeps the other
constexpr int kStdioIgnore = -2;  // /dev/null for 0-2, closed above

// Everything the child needs, built in the parent before the clone: between clone and exec the child
// only reads this (plus the fd table), so it needs no malloc and no lock.
struct SpawnPlan {
  std::vector<std::string> candidateStorage, argvStorage, envStorage;
  std::vector<const char*> candidates;  // execve targets in PATH order
  std::vector<char*> argv, envp;        // NULL-terminated
  std::string cwd;
  bool hasCwd = false;
  std::vector<int> stdio;               // index = fd number in the child
  int64_t uid = -1, gid = -1;
  bool newSession = false, newProcessGroup = false;
  std::vector<int> limitResources;
  std::vector<struct rlimit> limits;
};

// plan: { candidates, argv, envp, cwd?, stdio, uid, gid, newSession, newProcessGroup, rlimits }
SpawnPlan ReadSpawnPlan(Napi::Env env, Napi::Value value);

struct SpawnOutcome {
  pid_t pid = -1;
  int pidfd = -1;
  int errnum = 0;               // nonzero: no child is left running; parentFds stay open only when exec failed
  std::vector<int> parentFds;   // per target: the parent's end of a pipe, else -1
};

// Clones with CLONE_VM|CLONE_VFORK, runs the plan in the child, returns once the child has exec'd or
// failed. Never throws: every error comes back as errnum with every fd it opened closed, except the
// parent ends of pipes when exec itself failed (the caller opens or closes them).
SpawnOutcome SpawnChild(SpawnPlan& plan);

// waitpid's status word as [kind, value, coreDumped]; kind: 0 exited, 1 signaled, 2 stopped, 3 continued.
Napi::Array WaitStatusToJs(Napi::Env env, int status);

}  // namespace canfork

// Conversions between JavaScript values and the plain data of native/core: the spawn plan in, the
// wait status out. The only place where the core's types meet N-API.
#pragma once

#include "addon.h"
#include "core/vfork.h"

namespace canfork {

// plan: { candidates, argv, envp, cwd?, stdio, uid, gid, newSession, newProcessGroup, rlimits,
//         pdeathsig?, cgroupFd? }; envp null: this process's environ at the clone. TypeError/RangeError for anything malformed.
core::SpawnPlan ReadSpawnPlan(Napi::Env env, Napi::Value value);

// waitpid's status word as [kind, value, coreDumped]; the kinds are native.constants.WAIT_*.
Napi::Array WaitStatusToJs(Napi::Env env, int status);

}  // namespace canfork

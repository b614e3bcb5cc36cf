// Conversions between JavaScript values and the plain data of native/core: the spawn plan in, the
// wait status out. The only place where the core's types meet N-API.
#pragma once

#include "addon.h"
#include "core/vfork.h"

namespace canfork {

// plan: { candidates, argv, envp, cwd?, stdio, uid, gid, newSession, newProcessGroup, rlimits,
//         pdeathsig?, cgroupFd? }. TypeError/RangeError for anything malformed.
core::SpawnPlan ReadSpawnPlan(Napi::Env env, Napi::Value value);

// waitpid's status word as [kind, value, coreDumped]; the kinds are native.constants.WAIT_*.
Napi::Array WaitStatusToJs(Napi::Env env, int status);
// The same three values, for a callback that takes them as arguments (no array made per exit).
using WaitStatusValues = std::array<napi_value, 3>;
WaitStatusValues WaitStatusToValues(Napi::Env env, int status);

}  // namespace canfork

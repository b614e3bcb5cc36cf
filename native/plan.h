// Conversions between JavaScript values and the plain data of native/core: the spawn plan in, the
// wait status out. The only place where the core's types meet N-API.
#pragma once

#include <array>

#include "addon.h"
#include "core/vfork.h"

namespace canfork {

// The plan as src/binding.ts packs it, in info[first..first + 4]: candidates, argv, envp (null: environ),
// cwd (a string, else none) and a Float64Array of its numbers (core::PlanSlot): five arguments where a plan
// object's dozen properties were read through N-API; the spawn() call took 4-5 µs less so (bench/spawn-ab.mjs,
// 22553ff against its parent).
// TypeError/RangeError for anything malformed.
core::SpawnPlan ReadSpawnPlan(const Napi::CallbackInfo& info, size_t first);

// waitpid's status word as [kind, value, coreDumped]; the kinds are native.constants.WAIT_*.
Napi::Array WaitStatusToJs(Napi::Env env, int status);
// The same three values, for a callback that takes them as arguments (no array made per exit).
using WaitStatusValues = std::array<napi_value, 3>;
WaitStatusValues WaitStatusToValues(Napi::Env env, int status);

}  // namespace canfork

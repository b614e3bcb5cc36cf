// spawn(plan): the N-API door to core::SpawnChild. The child's exit is watched by native/exit-watch.cc
// once JavaScript hands its pid and pidfd to watchExit.
#include "core/vfork.h"

#include <unistd.h>

#include "addon.h"
#include "plan.h"

namespace canfork {
namespace {

Napi::Array FdsToJs(Napi::Env env, const std::vector<int>& fds) {
  Napi::Array array = Napi::Array::New(env, fds.size());
  for (uint32_t i = 0; i < fds.size(); i++) array.Set(i, Napi::Number::New(env, fds[i]));
  return array;
}

// Failed exec with plan.keepPipesOnExecError: { error, fds } with the parent ends still open.
Napi::Value FailureWithPipes(Napi::Env env, const core::SpawnOutcome& outcome) {
  try {
    PropertyKeys keys(env);
    Napi::Object result = Napi::Object::New(env);
    result.Set(keys[Key::kError], Napi::Number::New(env, outcome.error));
    result.Set(keys[Key::kFds], FdsToJs(env, outcome.parentFds));
    return result;
  } catch (...) {
    for (int fd : outcome.parentFds) {
      if (fd >= 0) close(fd);
    }
    throw;
  }
}

// spawn(plan) -> { pid, pidfd, fds }, or a negative errno (nothing left open or running), or with
// plan.keepPipesOnExecError and a failed exec { error, fds } (the parent pipe ends, the caller's to close)
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::SpawnPlan plan = ReadSpawnPlan(env, info[0]);
  core::SpawnOutcome outcome = core::SpawnChild(plan);
  if (outcome.error != 0) {
    for (int fd : outcome.parentFds) {
      if (fd >= 0) return FailureWithPipes(env, outcome);
    }
    return Napi::Number::New(env, outcome.error);
  }
  AwaitWatch(env, outcome.pid, outcome.pidfd, outcome.parentFds);
  try {
    PropertyKeys keys(env);
    Napi::Object result = Napi::Object::New(env);
    result.Set(keys[Key::kPid], Napi::Number::New(env, outcome.pid));
    result.Set(keys[Key::kPidfd], Napi::Number::New(env, outcome.pidfd));
    result.Set(keys[Key::kFds], FdsToJs(env, outcome.parentFds));
    return result;
  } catch (...) {
    // The environment is stopping (a worker being terminated): the result cannot reach JavaScript, so
    // nobody there will watch this child. Its pipes close here; it runs on and is reaped elsewhere.
    ForgetChild(env, outcome.pid);
    for (int fd : outcome.parentFds) {
      if (fd >= 0) close(fd);
    }
    ReapInBackground(outcome.pid, outcome.pidfd);
    throw;
  }
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) { Export<Spawn>(env, exports, "spawn"); }

}  // namespace canfork

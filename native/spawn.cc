// spawn(plan, out): the N-API door to core::SpawnChild. The child's exit is watched by native/exit-watch.cc
// once JavaScript hands its pid and pidfd to watchExit.
#include "core/vfork.h"

#include <unistd.h>

#include "addon.h"
#include "plan.h"

namespace canfork {
namespace {

// spawn(candidates, argv, envp, cwd, numbers, out) -> pid, or a negative errno (the plan as plan.h reads it).
// `out`, an Int32Array of at least plan.stdio.length + 1,
// gets the pidfd at 0 and at 1 + fd the parent's end of a pipe for the child's fd, else -1: written into,
// so that a spawn makes no JavaScript object. A negative errno leaves nothing open or running, except
// after a failed exec with plan.keepPipesOnExecError: then the pipe ends in `out` are the caller's.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::SpawnPlan plan = ReadSpawnPlan(info, 0);
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "out must be an Int32Array");
  }
  Napi::Int32Array out = info[5].As<Napi::Int32Array>();
  if (out.ElementLength() < plan.stdio.size() + 1) throw Napi::RangeError::New(env, "out is shorter than plan.stdio + 1");
  int32_t* slots = out.Data();
  core::SpawnOutcome outcome = core::SpawnChild(plan);
  slots[0] = outcome.pidfd;
  for (size_t i = 0; i < plan.stdio.size(); i++) slots[i + 1] = i < outcome.parentFds.size() ? outcome.parentFds[i] : -1;
  if (outcome.error != 0) return Napi::Number::New(env, outcome.error);
  AwaitWatch(env, outcome.pid, outcome.pidfd, outcome.parentFds);
  try {
    return Napi::Number::New(env, outcome.pid);
  } catch (...) {
    // The environment is stopping (a worker being terminated): the pid cannot reach JavaScript, so
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

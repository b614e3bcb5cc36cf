// spawnSync(...): the N-API door to core::RunSync, the blocking loop of native/core/sync-run.cc.
#include "core/sync-run.h"

#include <cmath>

#include "addon.h"
#include "plan.h"

namespace canfork {
namespace {

// An optional trailing integer: -1 when undefined.
int64_t OptionalInteger(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t max) {
  if (info[index].IsUndefined()) return -1;
  double value = NumberArg(info, index, name);
  if (!(value >= -1 && value <= static_cast<double>(max)) || std::floor(value) != value) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " is out of range");
  }
  return static_cast<int64_t>(value);
}

// spawnSync(candidates, argv, envp, cwd, numbers, input, timeoutMs, killSignal, killGroup, maxBuffer,
//           forceKillAfterMs?, cgroupKillFd?), the plan as plan.h reads it
//   -> a negative errno when nothing ran, else { pid, status: [kind, value, core], output, error }
//      with error 0 or a negative errno (ETIMEDOUT, ENOBUFS, or a refused kill signal).
Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::SpawnPlan plan = ReadSpawnPlan(info, 0);
  core::SyncOptions options;
  if (info[5].IsBuffer()) {
    options.input = info[5].As<Napi::Buffer<uint8_t>>().Data();
    options.inputLength = info[5].As<Napi::Buffer<uint8_t>>().Length();
  }
  options.timeoutMs = static_cast<int64_t>(NumberArg(info, 6, "timeoutMs"));
  options.killSignal = static_cast<int>(NumberArg(info, 7, "killSignal"));
  options.killGroup = BoolArg(info, 8, "killGroup");
  options.maxBuffer = NumberArg(info, 9, "maxBuffer");
  options.forceKillAfterMs = OptionalInteger(info, 10, "forceKillAfterMs", INT32_MAX);
  options.cgroupKillFd = static_cast<int>(OptionalInteger(info, 11, "cgroupKillFd", INT32_MAX));

  plan.makePidfd = !core::WaitsOnlyForExit(plan, options);
  core::SyncResult run = core::RunSync(plan, options);
  if (run.spawnError != 0) return Napi::Number::New(env, run.spawnError);
  Napi::Array output = Napi::Array::New(env, plan.stdio.size());
  for (uint32_t i = 0; i < plan.stdio.size(); i++) {
    bool readable = i > 0 && plan.stdio[i] == core::kStdioPipe;
    output.Set(i, readable ? Napi::Buffer<char>::Copy(env, run.output[i].data(), run.output[i].size()).As<Napi::Value>()
                           : env.Null());
  }
  PropertyKeys keys(env);
  Napi::Object result = Napi::Object::New(env);
  result.Set(keys[Key::kPid], Napi::Number::New(env, run.pid));
  result.Set(keys[Key::kStatus], WaitStatusToJs(env, run.status));
  result.Set(keys[Key::kOutput], output);
  result.Set(keys[Key::kError], Napi::Number::New(env, run.error));
  return result;
}

}  // namespace

void InitSpawnSync(Napi::Env env, Napi::Object exports) { Export<SpawnSync>(env, exports, "spawnSync"); }

}  // namespace canfork

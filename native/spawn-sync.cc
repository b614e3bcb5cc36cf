// spawnSync(...): the N-API door to core::RunSync, the blocking loop of native/core/sync-run.cc.
#include "core/sync-run.h"

#include "addon.h"
#include "plan.h"

namespace canfork {
namespace {

// An optional trailing integer in [-1, INT32_MAX]: -1 when undefined. `message` names the argument.
int64_t OptionalInteger(const Napi::CallbackInfo& info, size_t index, const char* name, const char* message) {
  if (info[index].IsUndefined()) return -1;
  return IntegerArg(info, index, name, -1, INT32_MAX, message);
}

// spawnSync(candidates, argv, envp, cwd, numbers, input, timeoutMs, killSignal, killGroup, maxBuffer,
//           forceKillAfterMs?, cgroupKillFd?), the plan as plan.h reads it
//   -> a negative errno when nothing ran; else the output (per fd: a Buffer of what a pipe read gave, else
//      null), or null when no fd was a pipe to read, with [pid, kind, value, coreDumped, error] written into
//      spawnSyncStatus (error 0 or a negative errno: ETIMEDOUT, ENOBUFS, or a refused kill signal). Numbers
//      written in place of a result object: spawnSync took 9-13 µs less so (bench/spawn-ab.mjs, b50032b
//      against cbbebaa).
Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::SpawnPlan plan = ReadSpawnPlan(info, 0);
  core::SyncOptions options;
  if (info[5].IsBuffer()) {
    options.input = info[5].As<Napi::Buffer<uint8_t>>().Data();
    options.inputLength = info[5].As<Napi::Buffer<uint8_t>>().Length();
  }
  // Whole numbers before the casts: a NaN or 1e300 cast to an integer is undefined behaviour. A kill signal
  // the kernel has no such number for is the kernel's to refuse (the run reports it), so only its type is checked.
  options.timeoutMs = IntegerArg(info, 6, "timeoutMs", 0, kMaxSafeInteger, "timeoutMs is out of range");
  options.killSignal = static_cast<int>(IntegerArg(info, 7, "killSignal", 0, INT32_MAX, "killSignal is out of range"));
  options.killGroup = BoolArg(info, 8, "killGroup");
  options.maxBuffer = NumberArg(info, 9, "maxBuffer");
  options.forceKillAfterMs = OptionalInteger(info, 10, "forceKillAfterMs", "forceKillAfterMs is out of range");
  options.cgroupKillFd = static_cast<int>(OptionalInteger(info, 11, "cgroupKillFd", "cgroupKillFd is out of range"));

  plan.makePidfd = !core::WaitsOnlyForExit(plan, options);
  core::SyncResult run = core::RunSync(plan, options);
  if (run.spawnError != 0) return Napi::Number::New(env, run.spawnError);
  core::DecodedWaitStatus decoded = core::DecodeWaitStatus(run.status);
  double* status = State(env).spawnSyncStatusData;
  status[0] = run.pid;
  status[1] = decoded.kind;
  status[2] = decoded.value;
  status[3] = decoded.coreDumped ? 1 : 0;
  status[4] = run.error;
  auto readable = [&](size_t fd) { return fd > 0 && plan.stdio[fd] == core::kStdioPipe; };
  bool anyOutput = false;
  for (size_t fd = 0; fd < plan.stdio.size(); fd++) anyOutput = anyOutput || readable(fd);
  if (!anyOutput) return env.Null();
  Napi::Array output = Napi::Array::New(env, plan.stdio.size());
  for (uint32_t i = 0; i < plan.stdio.size(); i++) {
    output.Set(i, readable(i) ? Napi::Buffer<char>::Copy(env, run.output[i].data(), run.output[i].size()).As<Napi::Value>()
                              : env.Null());
  }
  return output;
}

}  // namespace

void InitSpawnSync(Napi::Env env, Napi::Object exports) {
  State(env).spawnSyncStatusData = ExportKeptNumbers(env, exports, "spawnSyncStatus", 5, State(env).spawnSyncStatus);
  Export<SpawnSync>(env, exports, "spawnSync");
}

}  // namespace canfork

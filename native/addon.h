// Shared declarations for the canfork addon: per-instance state, the system-error door, and the
// registration function of each syscall family (one .cc each).
#pragma once

#include <napi.h>

namespace canfork {

struct ExitWatchers;  // native/exit-watch.cc

// Everything an addon instance (main thread or worker) owns. Set with SetInstanceData so that
// each worker that loads the addon gets its own copy.
struct AddonState {
  // Builds a Node-style system error; handed to native once by src/binding.ts.
  Napi::FunctionReference systemErrorFactory;
  // The pidfd polls of spawned children on this instance's loop; frees itself at teardown.
  ExitWatchers* exitWatchers = nullptr;
  // getrlimit/prlimit write [soft, hard] here rather than allocate an array per call (native/rlimit.cc).
  Napi::Reference<Napi::Float64Array> rlimitPair;
  double* rlimitPairData = nullptr;
};

AddonState& State(Napi::Env env);

// A Node-style system error for `errnum` (positive errno): code, negative errno, syscall, path.
Napi::Error SystemError(Napi::Env env, int errnum, const char* syscall, const char* path = nullptr);

// Number.MAX_SAFE_INTEGER: lengths and limits above it cannot cross from JavaScript exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

// Strict argument readers: the TypeScript layer validates with Node's ERR_* codes first; these
// only stop a direct caller of the binding from reaching the kernel with garbage.
double NumberArg(const Napi::CallbackInfo& info, size_t index, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t index, const char* name);

void InitMmap(Napi::Env env, Napi::Object exports);
void InitRlimit(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitSpawnSync(Napi::Env env, Napi::Object exports);
void InitWait(Napi::Env env, Napi::Object exports);
void InitExitWatch(Napi::Env env, Napi::Object exports);
void InitTaskTrial(Napi::Env env, Napi::Object exports);

}  // namespace canfork

// Shared declarations for the canfork addon: per-instance state, the one entry guard every exported
// function goes through, and the registration function of each syscall family (one .cc each).
//
// The error contract: a syscall that fails comes back as a negative errno number (or a negative errno
// field), never as a thrown error; src/errors.ts alone turns those into Node-style errors. Only a
// malformed argument throws, and only a TypeError or RangeError.
#pragma once

#include <napi.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "core/vfork.h"

#if !defined(NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS)
#error "build with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (binding.gyp, CMakeLists.txt)"
#endif

namespace canfork {

struct ExitWatchers;  // native/exit-watch.cc

// Everything an addon instance (main thread or worker) owns. Set with SetInstanceData so that
// each worker that loads the addon gets its own copy.
struct AddonState {
  // The pidfd polls of spawned children on this instance's loop; frees itself at teardown.
  ExitWatchers* exitWatchers = nullptr;
  // getrlimit/prlimit write [soft, hard] here rather than allocate an array per call (native/rlimit.cc).
  Napi::Reference<Napi::Float64Array> rlimitPair;
  double* rlimitPairData = nullptr;
  // spawnSync writes [pid, kind, value, coreDumped, error] here rather than make a result object per run.
  Napi::Reference<Napi::Float64Array> spawnSyncStatus;
  double* spawnSyncStatusData = nullptr;
  // /dev/null, kept open from this instance's first spawn that ignores one of 0-2.
  core::NullDevice nullDevice;
};

AddonState& State(Napi::Env env);

// Number.MAX_SAFE_INTEGER: lengths and limits above it cannot cross from JavaScript exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

// Strict argument readers: the TypeScript layer validates with Node's ERR_* codes first; these
// only stop a direct caller of the binding from reaching the kernel with garbage.
double NumberArg(const Napi::CallbackInfo& info, size_t index, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t index, const char* name);
// `value` when it is a whole number in [min, max], else a RangeError saying `message`.
int64_t WholeNumberIn(Napi::Env env, double value, double min, double max, const char* message);
// NumberArg, then WholeNumberIn.
int64_t IntegerArg(const Napi::CallbackInfo& info, size_t index, const char* name, double min, double max, const char* message);
// A resource limit as JavaScript writes it: Infinity for RLIM_INFINITY, else a whole number in [0, 2^53).
rlim_t LimitFromNumber(Napi::Env env, double value, const char* message);
// A Float64Array of `length` this instance keeps in `kept` and exports as `name`, for a call to leave
// numbers in rather than make an object per call; its data.
double* ExportKeptNumbers(Napi::Env env, Napi::Object exports, const char* name, size_t length,
                          Napi::Reference<Napi::Float64Array>& kept);

using EntryFunction = Napi::Value (*)(const Napi::CallbackInfo&);

namespace detail {
bool CanEnter(napi_env env);
void ThrowIfPossible(napi_env env, const Napi::Error& error);

// The C callback Node calls. Nothing thrown in `Function` leaves it: a Napi::Error becomes a JavaScript
// exception when the environment can still take one (a worker being terminated cannot, and throwing
// into it would end the process), anything else is dropped. A call made while an exception is already
// pending does nothing.
template <EntryFunction Function>
napi_value Entry(napi_env env, napi_callback_info callbackInfo) noexcept {
  if (!CanEnter(env)) return nullptr;
  try {
    Napi::CallbackInfo info(env, callbackInfo);
    return Function(info);
  } catch (const Napi::Error& error) {
    ThrowIfPossible(env, error);
  } catch (...) {
  }
  return nullptr;
}

void Export(Napi::Env env, Napi::Object exports, const char* name, napi_callback callback);
}  // namespace detail

// Every function the addon exports is registered here, so every one runs inside the guard above.
template <EntryFunction Function>
void Export(Napi::Env env, Napi::Object exports, const char* name) {
  detail::Export(env, exports, name, detail::Entry<Function>);
}

// A child whose pid and pipe ends have gone to JavaScript: reaped at teardown if watchExit never claims
// it, its pipe ends closed there if JavaScript never wrapped them (a worker terminated in between).
// native/exit-watch.cc.
void AwaitWatch(Napi::Env env, pid_t pid, int pidfd, const std::vector<int>& parentFds);
// Reaps (pid, pidfd) on a thread that outlives this instance, closing the pidfd.
void ReapInBackground(pid_t pid, int pidfd);
// A waitpid() from JavaScript reaped this pid: it needs no watch any more.
void ForgetChild(Napi::Env env, pid_t pid);

void InitConstants(Napi::Env env, Napi::Object exports);
void InitMmap(Napi::Env env, Napi::Object exports);
void InitRlimit(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitSpawnSync(Napi::Env env, Napi::Object exports);
void InitWait(Napi::Env env, Napi::Object exports);
void InitExitWatch(Napi::Env env, Napi::Object exports);
void InitTaskTrial(Napi::Env env, Napi::Object exports);
void InitMounts(Napi::Env env, Napi::Object exports);

}  // namespace canfork

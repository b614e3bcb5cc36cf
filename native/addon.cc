// Registers every syscall family and the per-instance state, and holds the entry guard.
#include "addon.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <cmath>
#include <mutex>
#include <string>

namespace canfork {

AddonState& State(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

double NumberArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("argument '") + name + "' must be a number");
  }
  return info[index].As<Napi::Number>().DoubleValue();
}

bool BoolArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string("argument '") + name + "' must be a boolean");
  }
  return info[index].As<Napi::Boolean>().Value();
}

int64_t WholeNumberIn(Napi::Env env, double value, double min, double max, const char* message) {
  if (!(value >= min && value <= max) || std::floor(value) != value) throw Napi::RangeError::New(env, message);
  return static_cast<int64_t>(value);
}

int64_t IntegerArg(const Napi::CallbackInfo& info, size_t index, const char* name, double min, double max, const char* message) {
  return WholeNumberIn(info.Env(), NumberArg(info, index, name), min, max, message);
}

rlim_t LimitFromNumber(Napi::Env env, double value, const char* message) {
  if (value == INFINITY) return RLIM_INFINITY;
  return static_cast<rlim_t>(WholeNumberIn(env, value, 0, kMaxSafeInteger, message));
}

double* ExportKeptNumbers(Napi::Env env, Napi::Object exports, const char* name, size_t length,
                          Napi::Reference<Napi::Float64Array>& kept) {
  Napi::Float64Array numbers = Napi::Float64Array::New(env, length);
  kept = Napi::Persistent(numbers);
  exports.Set(name, numbers);
  return numbers.Data();
}

namespace detail {

bool CanEnter(napi_env env) {
  bool pending = false;
  return napi_is_exception_pending(env, &pending) == napi_ok && !pending;
}

void ThrowIfPossible(napi_env env, const Napi::Error& error) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
  try {
    napi_value value = error.Value();
    if (value != nullptr) napi_throw(env, value);  // fails harmlessly while the environment stops
  } catch (...) {
  }
}

void Export(Napi::Env env, Napi::Object exports, const char* name, napi_callback callback) {
  napi_value function;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &function);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  exports.Set(name, Napi::Value(env, function));
}

}  // namespace detail

// Node dlclose()s an addon that only a worker loaded when that worker exits. Children that outlive
// their worker are still reaped by a thread running this library's code (exit-watch.cc), so the
// library pins itself once: RTLD_NODELETE keeps its code mapped until the process ends.
// Workers may load the addon at the same moment, hence call_once; the handle is kept on purpose.
static void PinLibrary() {
  static std::once_flag pinned;
  std::call_once(pinned, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr) {
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
    }
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  AddonState* state = new AddonState();
  env.SetInstanceData(state);
  InitConstants(env, exports);
  InitMmap(env, exports);
  InitRlimit(env, exports);
  InitSpawn(env, exports);
  InitSpawnSync(env, exports);
  InitWait(env, exports);
  InitExitWatch(env, exports);
  InitTaskTrial(env, exports);
  InitMounts(env, exports);
  return exports;
}

}  // namespace canfork

static Napi::Object InitCanfork(Napi::Env env, Napi::Object exports) { return canfork::Init(env, exports); }

NODE_API_MODULE(canfork, InitCanfork)

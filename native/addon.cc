// Registers every syscall family and the per-instance state. Nothing here talks to the kernel.
#include <dlfcn.h>

#include <mutex>

#include "addon.h"

namespace canfork {

AddonState& State(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

Napi::Error SystemError(Napi::Env env, int errnum, const char* syscall, const char* path) {
  AddonState& state = State(env);
  if (state.systemErrorFactory.IsEmpty()) {
    // Only reachable when the binding is used without src/binding.ts.
    Napi::Error error = Napi::Error::New(env, std::string(syscall) + " failed: errno " + std::to_string(errnum));
    error.Set("errno", Napi::Number::New(env, -errnum));
    error.Set("syscall", Napi::String::New(env, syscall));
    return error;
  }
  Napi::Value pathValue = path ? Napi::String::New(env, path) : env.Undefined();
  Napi::Value error = state.systemErrorFactory.Call(
      {Napi::Number::New(env, errnum), Napi::String::New(env, syscall), pathValue});
  return Napi::Error(env, error);
}

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

static void SetSystemErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "factory must be a function");
  State(info.Env()).systemErrorFactory = Napi::Persistent(info[0].As<Napi::Function>());
}

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
  env.SetInstanceData(new AddonState());
  exports.Set("setSystemErrorFactory", Napi::Function::New(env, SetSystemErrorFactory, "setSystemErrorFactory"));
  InitMmap(env, exports);
  InitRlimit(env, exports);
  InitSpawn(env, exports);
  InitSpawnSync(env, exports);
  InitWait(env, exports);
  InitExitWatch(env, exports);
  InitTaskTrial(env, exports);
  return exports;
}

}  // namespace canfork

static Napi::Object InitCanfork(Napi::Env env, Napi::Object exports) { return canfork::Init(env, exports); }

NODE_API_MODULE(canfork, InitCanfork)

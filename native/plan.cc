// The JavaScript spawn plan, checked and copied into a core::SpawnPlan. src/spawn/ validates with
// Node's ERR_* codes first; these checks only stop a direct caller of the binding.
#include "plan.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace canfork {
namespace {

Napi::Array ArrayField(Napi::Env env, Napi::Object plan, const char* key) {
  Napi::Value value = plan.Get(key);
  if (!value.IsArray()) throw Napi::TypeError::New(env, std::string("plan.") + key + " must be an array");
  return value.As<Napi::Array>();
}

// An integer field in [min, max]; `fallback` when the field is undefined and optional.
int64_t IntegerField(Napi::Env env, Napi::Object plan, const char* key, int64_t min, int64_t max, bool optional,
                     int64_t fallback) {
  Napi::Value value = plan.Get(key);
  if (optional && value.IsUndefined()) return fallback;
  if (!value.IsNumber()) throw Napi::TypeError::New(env, std::string("plan.") + key + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || std::floor(number) != number) {
    throw Napi::RangeError::New(env, std::string("plan.") + key + " is out of range");
  }
  return static_cast<int64_t>(number);
}

// Embedded NULs were refused in TypeScript; re-checked here, since execve would cut the string there.
void ReadStrings(Napi::Env env, Napi::Array array, std::vector<std::string>& storage) {
  storage.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(env, "plan strings must be strings");
    storage.push_back(item.As<Napi::String>().Utf8Value());
    if (storage.back().find('\0') != std::string::npos) throw Napi::TypeError::New(env, "NUL byte in a plan string");
  }
}

rlim_t LimitValue(Napi::Env env, Napi::Value value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(env, "plan.rlimits entries must be numbers");
  double number = value.As<Napi::Number>().DoubleValue();
  if (number == INFINITY) return RLIM_INFINITY;
  if (!(number >= 0 && number <= kMaxSafeInteger)) throw Napi::RangeError::New(env, "bad limit");
  return static_cast<rlim_t>(number);
}

}  // namespace

core::SpawnPlan ReadSpawnPlan(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "plan must be an object");
  Napi::Object object = value.As<Napi::Object>();
  core::SpawnPlan plan;
  ReadStrings(env, ArrayField(env, object, "candidates"), plan.candidates);
  ReadStrings(env, ArrayField(env, object, "argv"), plan.argv);
  // envp null: this process's environment, environ itself (JavaScript passes null only on the main thread,
  // where process.env is environ), which saves building KEY=value strings in JavaScript and copying here.
  if (object.Get("envp").IsNull()) {
    plan.inheritEnvironment = true;
  } else {
    ReadStrings(env, ArrayField(env, object, "envp"), plan.envp);
  }
  if (plan.candidates.empty() || plan.argv.empty()) throw Napi::TypeError::New(env, "empty plan");
  Napi::Value cwd = object.Get("cwd");
  if (cwd.IsString()) {
    plan.cwd = cwd.As<Napi::String>().Utf8Value();
    plan.hasCwd = true;
  }
  Napi::Array stdio = ArrayField(env, object, "stdio");
  for (uint32_t i = 0; i < stdio.Length(); i++) {
    Napi::Value spec = stdio.Get(i);
    if (!spec.IsNumber()) throw Napi::TypeError::New(env, "plan.stdio entries must be numbers");
    double number = spec.As<Napi::Number>().DoubleValue();
    if (!(number >= core::kStdioIgnore && number <= INT32_MAX) || std::floor(number) != number) {
      throw Napi::RangeError::New(env, "bad plan.stdio entry");
    }
    plan.stdio.push_back(static_cast<int>(number));
  }
  plan.uid = IntegerField(env, object, "uid", -1, 0xfffffffe, false, -1);
  plan.gid = IntegerField(env, object, "gid", -1, 0xfffffffe, false, -1);
  plan.newSession = object.Get("newSession").ToBoolean().Value();
  plan.newProcessGroup = object.Get("newProcessGroup").ToBoolean().Value();
  plan.keepPipesOnExecError = object.Get("keepPipesOnExecError").ToBoolean().Value();
  Napi::Array limits = ArrayField(env, object, "rlimits");  // flat [resource, soft, hard, ...]
  if (limits.Length() % 3 != 0) throw Napi::RangeError::New(env, "plan.rlimits must hold triples");
  for (uint32_t i = 0; i + 2 < limits.Length(); i += 3) {
    Napi::Value resource = limits.Get(i);
    if (!resource.IsNumber()) throw Napi::TypeError::New(env, "plan.rlimits entries must be numbers");
    int number = resource.As<Napi::Number>().Int32Value();
    if (number < 0 || number >= RLIM_NLIMITS) throw Napi::RangeError::New(env, "unknown resource in plan.rlimits");
    plan.limitResources.push_back(number);
    plan.limits.push_back({LimitValue(env, limits.Get(i + 1)), LimitValue(env, limits.Get(i + 2))});
  }
  plan.pdeathsig = static_cast<int>(IntegerField(env, object, "pdeathsig", 0, 64, true, 0));
  plan.cgroupFd = static_cast<int>(IntegerField(env, object, "cgroupFd", -1, INT32_MAX, true, -1));
  return plan;
}

Napi::Array WaitStatusToJs(Napi::Env env, int status) {
  core::DecodedWaitStatus decoded = core::DecodeWaitStatus(status);
  Napi::Array array = Napi::Array::New(env, 3);
  array.Set(0u, Napi::Number::New(env, decoded.kind));
  array.Set(1u, Napi::Number::New(env, decoded.value));
  array.Set(2u, Napi::Boolean::New(env, decoded.coreDumped));
  return array;
}

}  // namespace canfork

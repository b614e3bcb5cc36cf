// The JavaScript spawn plan, checked and copied into a core::SpawnPlan. src/spawn/ validates with
// Node's ERR_* codes first; these checks only stop a direct caller of the binding.
#include "plan.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace canfork {
namespace {

// Reads the fields of one plan object, with the instance's key strings fetched once.
class PlanReader {
 public:
  PlanReader(Napi::Env env, Napi::Object plan) : env_(env), plan_(plan), keys_(env) {}

  Napi::Value Field(Key key) const { return plan_.Get(keys_[key]); }

  bool Flag(Key key) const { return Field(key).ToBoolean().Value(); }

  Napi::Array ArrayField(Key key) const {
    Napi::Value value = Field(key);
    if (!value.IsArray()) throw Napi::TypeError::New(env_, FieldName(key) + " must be an array");
    return value.As<Napi::Array>();
  }

  // An integer field in [min, max]; `fallback` when the field is undefined and optional.
  int64_t IntegerField(Key key, int64_t min, int64_t max, bool optional, int64_t fallback) const {
    Napi::Value value = Field(key);
    if (optional && value.IsUndefined()) return fallback;
    if (!value.IsNumber()) throw Napi::TypeError::New(env_, FieldName(key) + " must be a number");
    double number = value.As<Napi::Number>().DoubleValue();
    if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || std::floor(number) != number) {
      throw Napi::RangeError::New(env_, FieldName(key) + " is out of range");
    }
    return static_cast<int64_t>(number);
  }

  std::string FieldName(Key key) const { return "plan." + keys_[key].Utf8Value(); }

 private:
  Napi::Env env_;
  Napi::Object plan_;
  PropertyKeys keys_;
};

// A string list as src/spawn/plan.ts packs it: each entry followed by a NUL ("a\0b\0"), one string for
// the whole list (an array cost N-API calls per entry). Copied once, as UTF-8, into the list's block.
core::StringList StringListField(Napi::Env env, const PlanReader& reader, Key key, Napi::Value value) {
  if (!value.IsString()) throw Napi::TypeError::New(env, reader.FieldName(key) + " must be a string");
  size_t length = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, value, nullptr, 0, &length), core::StringList());
  std::vector<char> block(length + 1);
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, value, block.data(), block.size(), &length),
                       core::StringList());
  block.pop_back();  // the terminator napi writes; the list's own last NUL comes before it
  if (!block.empty() && block.back() != '\0') {
    throw Napi::TypeError::New(env, reader.FieldName(key) + " must end with a NUL");
  }
  return core::StringList(std::move(block));
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
  PlanReader reader(env, value.As<Napi::Object>());
  core::SpawnPlan plan;
  plan.candidates = StringListField(env, reader, Key::kCandidates, reader.Field(Key::kCandidates));
  plan.argv = StringListField(env, reader, Key::kArgv, reader.Field(Key::kArgv));
  // envp null: this process's environment, environ itself (JavaScript passes null only on the main thread,
  // where process.env is environ), which saves building KEY=value strings in JavaScript and copying here.
  Napi::Value envp = reader.Field(Key::kEnvp);
  if (envp.IsNull()) {
    plan.inheritEnvironment = true;
  } else {
    plan.envp = StringListField(env, reader, Key::kEnvp, envp);
  }
  if (plan.candidates.empty() || plan.argv.empty()) throw Napi::TypeError::New(env, "empty plan");
  Napi::Value cwd = reader.Field(Key::kCwd);
  if (cwd.IsString()) {
    plan.cwd = cwd.As<Napi::String>().Utf8Value();
    plan.hasCwd = true;
  }
  Napi::Array stdio = reader.ArrayField(Key::kStdio);
  for (uint32_t i = 0; i < stdio.Length(); i++) {
    Napi::Value spec = stdio.Get(i);
    if (!spec.IsNumber()) throw Napi::TypeError::New(env, "plan.stdio entries must be numbers");
    double number = spec.As<Napi::Number>().DoubleValue();
    if (!(number >= core::kStdioIgnore && number <= INT32_MAX) || std::floor(number) != number) {
      throw Napi::RangeError::New(env, "bad plan.stdio entry");
    }
    plan.stdio.push_back(static_cast<int>(number));
  }
  plan.uid = reader.IntegerField(Key::kUid, -1, 0xfffffffe, false, -1);
  plan.gid = reader.IntegerField(Key::kGid, -1, 0xfffffffe, false, -1);
  plan.newSession = reader.Flag(Key::kNewSession);
  plan.newProcessGroup = reader.Flag(Key::kNewProcessGroup);
  plan.keepPipesOnExecError = reader.Flag(Key::kKeepPipesOnExecError);
  Napi::Array limits = reader.ArrayField(Key::kRlimits);  // flat [resource, soft, hard, ...]
  if (limits.Length() % 3 != 0) throw Napi::RangeError::New(env, "plan.rlimits must hold triples");
  for (uint32_t i = 0; i + 2 < limits.Length(); i += 3) {
    Napi::Value resource = limits.Get(i);
    if (!resource.IsNumber()) throw Napi::TypeError::New(env, "plan.rlimits entries must be numbers");
    int number = resource.As<Napi::Number>().Int32Value();
    if (number < 0 || number >= RLIM_NLIMITS) throw Napi::RangeError::New(env, "unknown resource in plan.rlimits");
    plan.limitResources.push_back(number);
    plan.limits.push_back({LimitValue(env, limits.Get(i + 1)), LimitValue(env, limits.Get(i + 2))});
  }
  plan.pdeathsig = static_cast<int>(reader.IntegerField(Key::kPdeathsig, 0, 64, true, 0));
  plan.cgroupFd = static_cast<int>(reader.IntegerField(Key::kCgroupFd, -1, INT32_MAX, true, -1));
  plan.statFile = &State(env).statFile;
  plan.nullDevice = &State(env).nullDevice;
  return plan;
}

WaitStatusValues WaitStatusToValues(Napi::Env env, int status) {
  core::DecodedWaitStatus decoded = core::DecodeWaitStatus(status);
  return {Napi::Number::New(env, decoded.kind), Napi::Number::New(env, decoded.value), Napi::Boolean::New(env, decoded.coreDumped)};
}

Napi::Array WaitStatusToJs(Napi::Env env, int status) {
  WaitStatusValues values = WaitStatusToValues(env, status);
  Napi::Array array = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); i++) array.Set(i, values[i]);
  return array;
}

}  // namespace canfork

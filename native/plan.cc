// The JavaScript spawn plan, checked and copied into a core::SpawnPlan. src/spawn/ validates with
// Node's ERR_* codes first, src/binding.ts checks the types as it packs the plan; these checks only stop
// a direct caller of the addon.
#include "plan.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace canfork {
namespace {

// A string list as src/binding.ts packs it: each entry followed by a NUL ("a\0b\0"), one string for the
// whole list (an array cost N-API calls per entry). Copied once, as UTF-8, into the list's block.
core::StringList StringListArg(Napi::Env env, Napi::Value value, const char* name) {
  if (!value.IsString()) throw Napi::TypeError::New(env, std::string("plan.") + name + " must be a string");
  size_t length = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, value, nullptr, 0, &length), core::StringList());
  std::vector<char> block(length + 1);
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, value, block.data(), block.size(), &length),
                       core::StringList());
  block.pop_back();  // the terminator napi writes; the list's own last NUL comes before it
  if (!block.empty() && block.back() != '\0') {
    throw Napi::TypeError::New(env, std::string("plan.") + name + " must end with a NUL");
  }
  return core::StringList(std::move(block));
}

// An integer in [min, max] from the plan's numbers.
int64_t PlanInteger(Napi::Env env, double number, double min, double max, const char* name) {
  if (!(number >= min && number <= max) || std::floor(number) != number) {
    throw Napi::RangeError::New(env, std::string("plan.") + name + " is out of range");
  }
  return static_cast<int64_t>(number);
}

rlim_t LimitValue(Napi::Env env, double number) {
  if (number == INFINITY) return RLIM_INFINITY;
  if (!(number >= 0 && number <= kMaxSafeInteger)) throw Napi::RangeError::New(env, "bad limit");
  return static_cast<rlim_t>(number);
}

}  // namespace

core::SpawnPlan ReadSpawnPlan(const Napi::CallbackInfo& info, size_t first) {
  Napi::Env env = info.Env();
  core::SpawnPlan plan;
  plan.candidates = StringListArg(env, info[first], "candidates");
  plan.argv = StringListArg(env, info[first + 1], "argv");
  // envp null: this process's environment, environ itself (JavaScript passes null only on the main thread,
  // where process.env is environ), which saves building KEY=value strings in JavaScript and copying here.
  Napi::Value envp = info[first + 2];
  if (envp.IsNull()) {
    plan.inheritEnvironment = true;
  } else {
    plan.envp = StringListArg(env, envp, "envp");
  }
  if (plan.candidates.empty() || plan.argv.empty()) throw Napi::TypeError::New(env, "empty plan");
  Napi::Value cwd = info[first + 3];
  if (cwd.IsString()) {
    plan.cwd = cwd.As<Napi::String>().Utf8Value();
    plan.hasCwd = true;
  }
  Napi::Value packed = info[first + 4];
  if (!packed.IsTypedArray() || packed.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "plan numbers must be a Float64Array");
  }
  Napi::Float64Array numbersArray = packed.As<Napi::Float64Array>();
  const double* numbers = numbersArray.Data();
  const size_t available = numbersArray.ElementLength();
  if (available < core::kPlanHeaderLength) throw Napi::RangeError::New(env, "plan numbers are too short");
  const size_t stdioCount = static_cast<size_t>(PlanInteger(env, numbers[core::kPlanStdioCount], 0, INT32_MAX, "stdio length"));
  const size_t limitCount = static_cast<size_t>(PlanInteger(env, numbers[core::kPlanRlimitCount], 0, INT32_MAX, "rlimits length"));
  if (available - core::kPlanHeaderLength < stdioCount + limitCount) throw Napi::RangeError::New(env, "plan numbers are too short");
  if (limitCount % 3 != 0) throw Napi::RangeError::New(env, "plan.rlimits must hold triples");
  const double* stdio = numbers + core::kPlanHeaderLength;
  plan.stdio.reserve(stdioCount);
  for (size_t i = 0; i < stdioCount; i++) {
    plan.stdio.push_back(static_cast<int>(PlanInteger(env, stdio[i], core::kStdioIgnore, INT32_MAX, "stdio entry")));
  }
  plan.uid = PlanInteger(env, numbers[core::kPlanUid], -1, 0xfffffffe, "uid");
  plan.gid = PlanInteger(env, numbers[core::kPlanGid], -1, 0xfffffffe, "gid");
  const int64_t flags = PlanInteger(env, numbers[core::kPlanFlags], 0, 7, "flags");
  plan.newSession = (flags & core::kPlanNewSession) != 0;
  plan.newProcessGroup = (flags & core::kPlanNewProcessGroup) != 0;
  plan.keepPipesOnExecError = (flags & core::kPlanKeepPipesOnExecError) != 0;
  const double* limits = stdio + stdioCount;  // flat [resource, soft, hard, ...]
  for (size_t i = 0; i + 2 < limitCount; i += 3) {
    plan.limitResources.push_back(static_cast<int>(PlanInteger(env, limits[i], 0, RLIM_NLIMITS - 1, "rlimits resource")));
    plan.limits.push_back({LimitValue(env, limits[i + 1]), LimitValue(env, limits[i + 2])});
  }
  plan.pdeathsig = static_cast<int>(PlanInteger(env, numbers[core::kPlanPdeathsig], 0, 64, "pdeathsig"));
  plan.cgroupFd = static_cast<int>(PlanInteger(env, numbers[core::kPlanCgroupFd], -1, INT32_MAX, "cgroupFd"));
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

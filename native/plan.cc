// The JavaScript spawn plan, checked and copied into a core::SpawnPlan. src/spawn/ validates with
// Node's ERR_* codes first, src/binding.ts checks the types as it packs the plan; these checks only stop
// a direct caller of the addon.
#include "plan.h"

#include <unistd.h>

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
  const size_t stdioCount = static_cast<size_t>(WholeNumberIn(env, numbers[core::kPlanStdioCount], 0, INT32_MAX, "plan.stdio is too long"));
  const size_t limitCount = static_cast<size_t>(WholeNumberIn(env, numbers[core::kPlanRlimitCount], 0, INT32_MAX, "plan.rlimits is too long"));
  if (available - core::kPlanHeaderLength < stdioCount + limitCount) throw Napi::RangeError::New(env, "plan numbers are too short");
  if (limitCount % 3 != 0) throw Napi::RangeError::New(env, "plan.rlimits must hold triples");
  const double* stdio = numbers + core::kPlanHeaderLength;
  plan.stdio.reserve(stdioCount);
  for (size_t i = 0; i < stdioCount; i++) {
    plan.stdio.push_back(static_cast<int>(WholeNumberIn(env, stdio[i], core::kStdioIgnore, INT32_MAX, "plan.stdio entry is out of range")));
  }
  plan.uid = WholeNumberIn(env, numbers[core::kPlanUid], -1, 0xfffffffe, "plan.uid is out of range");
  plan.gid = WholeNumberIn(env, numbers[core::kPlanGid], -1, 0xfffffffe, "plan.gid is out of range");
  const int64_t flags = WholeNumberIn(env, numbers[core::kPlanFlags], 0, 7, "plan flags are out of range");
  plan.newSession = (flags & core::kPlanNewSession) != 0;
  plan.newProcessGroup = (flags & core::kPlanNewProcessGroup) != 0;
  plan.keepPipesOnExecError = (flags & core::kPlanKeepPipesOnExecError) != 0;
  const double* limits = stdio + stdioCount;  // flat [resource, soft, hard, ...]
  for (size_t i = 0; i + 2 < limitCount; i += 3) {
    plan.limitResources.push_back(static_cast<int>(WholeNumberIn(env, limits[i], 0, RLIM_NLIMITS - 1, "unknown resource in plan.rlimits")));
    plan.limits.push_back({LimitFromNumber(env, limits[i + 1], "bad limit in plan.rlimits"), LimitFromNumber(env, limits[i + 2], "bad limit in plan.rlimits")});
  }
  plan.pdeathsig = static_cast<int>(WholeNumberIn(env, numbers[core::kPlanPdeathsig], 0, 64, "plan.pdeathsig is out of range"));
  plan.cgroupFd = static_cast<int>(WholeNumberIn(env, numbers[core::kPlanCgroupFd], -1, INT32_MAX, "plan.cgroupFd is out of range"));
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

// getrlimit / setrlimit / prlimit. Unlimited (RLIM_INFINITY) crosses to JavaScript as Infinity.
#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <cmath>

#include "addon.h"
#include "core/constants.h"

namespace canfork {
namespace {

rlim_t ToRlim(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double value = NumberArg(info, index, name);
  if (value == INFINITY) return RLIM_INFINITY;
  if (!(value >= 0 && value <= kMaxSafeInteger) || std::floor(value) != value) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a non-negative safe integer or Infinity");
  }
  return static_cast<rlim_t>(value);
}

int ResourceArg(const Napi::CallbackInfo& info, size_t index) {
  double resource = NumberArg(info, index, "resource");
  if (!(resource >= 0 && resource < RLIM_NLIMITS) || std::floor(resource) != resource) {
    throw Napi::RangeError::New(info.Env(), "unknown resource");
  }
  return static_cast<int>(resource);
}

double FromRlim(rlim_t value) {
  return value == RLIM_INFINITY ? INFINITY : static_cast<double>(value);
}

// Writes [soft, hard] into the instance's rlimitPair (a Float64Array the TypeScript layer reads at once).
void WritePair(Napi::Env env, const struct rlimit& limit) {
  double* pair = State(env).rlimitPairData;
  pair[0] = FromRlim(limit.rlim_cur);
  pair[1] = FromRlim(limit.rlim_max);
}

Napi::Value Errno(Napi::Env env, int result) { return Napi::Number::New(env, result == 0 ? 0 : -errno); }

// getrlimit(resource) -> 0 ([soft, hard] in rlimitPair) or a negative errno
Napi::Value GetRlimit(const Napi::CallbackInfo& info) {
  struct rlimit limit;
  int result = getrlimit(static_cast<__rlimit_resource_t>(ResourceArg(info, 0)), &limit);
  if (result == 0) WritePair(info.Env(), limit);
  return Errno(info.Env(), result);
}

// setrlimit(resource, soft, hard) -> 0 or a negative errno
Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  int resource = ResourceArg(info, 0);
  struct rlimit limit = {ToRlim(info, 1, "soft"), ToRlim(info, 2, "hard")};
  return Errno(info.Env(), setrlimit(static_cast<__rlimit_resource_t>(resource), &limit));
}

// prlimit(pid, resource[, soft, hard]) -> 0 (the previous [soft, hard] in rlimitPair) or a negative
// errno; with no new values it only reads.
Napi::Value Prlimit(const Napi::CallbackInfo& info) {
  double pid = NumberArg(info, 0, "pid");
  if (!(pid >= 0 && pid <= core::kPidMaxLimit) || std::floor(pid) != pid) throw Napi::RangeError::New(info.Env(), "bad pid");
  int resource = ResourceArg(info, 1);
  struct rlimit next;
  bool setting = info.Length() > 2 && !info[2].IsUndefined();
  if (setting) next = {ToRlim(info, 2, "soft"), ToRlim(info, 3, "hard")};
  struct rlimit previous;
  int result = prlimit(static_cast<pid_t>(pid), static_cast<__rlimit_resource>(resource), setting ? &next : nullptr,
                       &previous);
  if (result == 0) WritePair(info.Env(), previous);
  return Errno(info.Env(), result);
}

}  // namespace

void InitRlimit(Napi::Env env, Napi::Object exports) {
  // The kernel's numbering, so the TypeScript layer never hard-codes it.
  Napi::Object resources = Napi::Object::New(env);
  const std::pair<const char*, int> names[] = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},     {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},   {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},   {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  for (const auto& [name, value] : names) resources.Set(name, Napi::Number::New(env, value));
  exports.Set("rlimitResources", resources);
  Napi::Float64Array pair = Napi::Float64Array::New(env, 2);
  State(env).rlimitPair = Napi::Persistent(pair);
  State(env).rlimitPairData = pair.Data();
  exports.Set("rlimitPair", pair);
  Export<GetRlimit>(env, exports, "getrlimit");
  Export<SetRlimit>(env, exports, "setrlimit");
  Export<Prlimit>(env, exports, "prlimit");
}

}  // namespace canfork

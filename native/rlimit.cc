// getrlimit / setrlimit / prlimit. Unlimited (RLIM_INFINITY) crosses to JavaScript as Infinity.
#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <cmath>

#include "addon.h"
#include "core/constants.h"

namespace canfork {
namespace {

// `name` is "soft" or "hard"; `message` names it too (made once, not per call).
rlim_t ToRlim(const Napi::CallbackInfo& info, size_t index, const char* name, const char* message) {
  return LimitFromNumber(info.Env(), NumberArg(info, index, name), message);
}

constexpr const char* kSoftMessage = "soft must be a non-negative safe integer or Infinity";
constexpr const char* kHardMessage = "hard must be a non-negative safe integer or Infinity";

int ResourceArg(const Napi::CallbackInfo& info, size_t index) {
  return static_cast<int>(IntegerArg(info, index, "resource", 0, RLIM_NLIMITS - 1, "unknown resource"));
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
  struct rlimit limit = {ToRlim(info, 1, "soft", kSoftMessage), ToRlim(info, 2, "hard", kHardMessage)};
  return Errno(info.Env(), setrlimit(static_cast<__rlimit_resource_t>(resource), &limit));
}

// prlimit(pid, resource[, soft, hard]) -> 0 (the previous [soft, hard] in rlimitPair) or a negative
// errno; with no new values it only reads.
Napi::Value Prlimit(const Napi::CallbackInfo& info) {
  pid_t pid = static_cast<pid_t>(IntegerArg(info, 0, "pid", 0, core::kPidMaxLimit, "bad pid"));
  int resource = ResourceArg(info, 1);
  struct rlimit next;
  bool setting = info.Length() > 2 && !info[2].IsUndefined();
  if (setting) next = {ToRlim(info, 2, "soft", kSoftMessage), ToRlim(info, 3, "hard", kHardMessage)};
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
  State(env).rlimitPairData = ExportKeptNumbers(env, exports, "rlimitPair", 2, State(env).rlimitPair);
  Export<GetRlimit>(env, exports, "getrlimit");
  Export<SetRlimit>(env, exports, "setrlimit");
  Export<Prlimit>(env, exports, "prlimit");
}

}  // namespace canfork

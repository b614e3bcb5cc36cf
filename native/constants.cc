// native.constants: every number the TypeScript side shares with the native one, exported from the one
// definition in native/core/constants.h so that no copy can drift.
#include "addon.h"
#include "core/constants.h"

namespace canfork {

void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object constants = Napi::Object::New(env);
  const std::pair<const char*, int> values[] = {
      {"STDIO_PIPE", core::kStdioPipe},         {"STDIO_IGNORE", core::kStdioIgnore},
      {"WAIT_EXITED", core::kWaitExited},       {"WAIT_SIGNALED", core::kWaitSignaled},
      {"WAIT_STOPPED", core::kWaitStopped},     {"WAIT_CONTINUED", core::kWaitContinued},
      {"PID_MAX_LIMIT", core::kPidMaxLimit},
      {"PLAN_UID", core::kPlanUid},             {"PLAN_GID", core::kPlanGid},
      {"PLAN_FLAGS", core::kPlanFlags},         {"PLAN_PDEATHSIG", core::kPlanPdeathsig},
      {"PLAN_CGROUP_FD", core::kPlanCgroupFd},  {"PLAN_STDIO_COUNT", core::kPlanStdioCount},
      {"PLAN_RLIMIT_COUNT", core::kPlanRlimitCount}, {"PLAN_HEADER_LENGTH", core::kPlanHeaderLength},
      {"PLAN_NEW_SESSION", core::kPlanNewSession}, {"PLAN_NEW_PROCESS_GROUP", core::kPlanNewProcessGroup},
      {"PLAN_KEEP_PIPES_ON_EXEC_ERROR", core::kPlanKeepPipesOnExecError},
  };
  for (const auto& [name, value] : values) constants.Set(name, Napi::Number::New(env, value));
  constants.Freeze();
  exports.Set("constants", constants);
}

}  // namespace canfork

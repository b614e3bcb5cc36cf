// waitpid for one positive pid.
#include <sys/types.h>
#include <sys/wait.h>

#include "addon.h"
#include "core/vfork.h"
#include "plan.h"

namespace canfork {
namespace {

// waitpid(pid, nohang) -> [kind, value, coreDumped, pid], null (nohang and still running) or a negative
// errno. pid <= 0 is refused: waitpid(-1), (0) and (-pgid) steal the exit statuses libuv waits for.
Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = static_cast<pid_t>(IntegerArg(info, 0, "pid", 1, core::kPidMaxLimit, "pid must be a positive integer"));
  bool nohang = BoolArg(info, 1, "nohang");
  int status = 0;
  pid_t result = core::WaitExactly(pid, &status, WUNTRACED | WCONTINUED | (nohang ? WNOHANG : 0));
  if (result < 0) return Napi::Number::New(env, result);
  if (result == 0) return env.Null();
  if (WIFEXITED(status) || WIFSIGNALED(status)) ForgetChild(env, pid);
  Napi::Array decoded = WaitStatusToJs(env, status);
  decoded.Set(3u, Napi::Number::New(env, result));
  return decoded;
}

}  // namespace

void InitWait(Napi::Env env, Napi::Object exports) { Export<WaitPid>(env, exports, "waitpid"); }

}  // namespace canfork

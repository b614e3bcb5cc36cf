// waitpid for one positive pid, and the decoding of its status word shared with the exit watcher.
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <cmath>

#include "spawn.h"

namespace canfork {
namespace {

enum WaitKind { kExited = 0, kSignaled = 1, kStopped = 2, kContinued = 3 };

// waitpid(pid, nohang) -> [kind, value, coreDumped, pid] or null (nohang and still running).
// pid <= 0 is refused: waitpid(-1), (0) and (-pgid) steal the exit statuses libuv waits for.
Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double pidNumber = NumberArg(info, 0, "pid");
  bool nohang = BoolArg(info, 1, "nohang");
  if (!(pidNumber >= 1 && pidNumber <= 4194304) || std::floor(pidNumber) != pidNumber) {
    throw Napi::RangeError::New(env, "pid must be a positive integer");
  }
  pid_t pid = static_cast<pid_t>(pidNumber);
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid, &status, WUNTRACED | WCONTINUED | (nohang ? WNOHANG : 0));
  } while (result < 0 && errno == EINTR);
  if (result < 0) throw SystemError(env, errno, "waitpid");
  if (result == 0) return env.Null();
  Napi::Array decoded = WaitStatusToJs(env, status);
  decoded.Set(3u, Napi::Number::New(env, result));
  return decoded;
}

}  // namespace

Napi::Array WaitStatusToJs(Napi::Env env, int status) {
  Napi::Array decoded = Napi::Array::New(env, 3);
  int kind = kExited, value = 0;
  bool core = false;
  if (WIFEXITED(status)) {
    value = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    kind = kSignaled;
    value = WTERMSIG(status);
    core = WCOREDUMP(status);
  } else if (WIFSTOPPED(status)) {
    kind = kStopped;
    value = WSTOPSIG(status);
  } else if (WIFCONTINUED(status)) {
    kind = kContinued;
  }
  decoded.Set(0u, Napi::Number::New(env, kind));
  decoded.Set(1u, Napi::Number::New(env, value));
  decoded.Set(2u, Napi::Boolean::New(env, core));
  return decoded;
}

void InitWait(Napi::Env env, Napi::Object exports) {
  exports.Set("waitpid", Napi::Function::New(env, WaitPid, "waitpid"));
}

}  // namespace canfork

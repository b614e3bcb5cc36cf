// Whether the mount table changed, from a kept /proc/PID/mountinfo descriptor, without reading it.
#include <poll.h>

#include <cerrno>

#include "addon.h"
#include "core/eintr.h"

namespace canfork {
namespace {

// mountsChanged(fd) -> 1, 0 or a negative errno. A mounts, mountinfo or mountstats file polls POLLPRI (and
// POLLERR) once after each change to its mount namespace's table, counted from its open and from the last poll
// that said so (fs/proc_namespace.c mounts_poll; docs/kernel-rules.md §7): the table the caller read after opening
// it still stands while this says 0. Any other fd polls without POLLPRI, and so always reads 0: the caller passes
// only such files.
Napi::Value MountsChanged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = static_cast<int>(IntegerArg(info, 0, "fd", 0, INT32_MAX, "fd must be a non-negative integer"));
  struct pollfd entry = {fd, POLLPRI, 0};
  int ready = core::RetryOnEintr([&] { return poll(&entry, 1, 0); });
  if (ready < 0) return Napi::Number::New(env, -errno);
  if ((entry.revents & POLLNVAL) != 0) return Napi::Number::New(env, -EBADF);
  return Napi::Number::New(env, (entry.revents & (POLLPRI | POLLERR)) != 0 ? 1 : 0);
}

}  // namespace

void InitMounts(Napi::Env env, Napi::Object exports) { Export<MountsChanged>(env, exports, "mountsChanged"); }

}  // namespace canfork

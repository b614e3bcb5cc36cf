// The one EINTR retry of the native code: every waitpid, read, write and poll loop goes through it.
#pragma once

#include <cerrno>

namespace canfork::core {

// Calls `call` again while it fails with EINTR (-1 and errno EINTR), as node-pty's HANDLE_EINTR.
template <typename Call>
auto RetryOnEintr(Call call) -> decltype(call()) {
  decltype(call()) result;
  do {
    result = call();
  } while (result == -1 && errno == EINTR);
  return result;
}

}  // namespace canfork::core

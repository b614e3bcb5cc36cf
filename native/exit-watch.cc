// Exit watching without a thread per child: one uv_poll per pidfd on this addon instance's own loop
// (napi_get_uv_event_loop, so each worker watches on its own). A pidfd turns readable when its process
// becomes a zombie (do_notify_pidfd in kernel/signal.c); then exactly that child is reaped, through the
// pidfd (docs/kernel-rules.md §6).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "addon.h"
#include "core/eintr.h"
#include "core/vfork.h"
#include "plan.h"

namespace canfork {

struct ExitWatch {
  uv_poll_t poll;
  ExitWatchers* owner;
  uint32_t id;
  pid_t pid;
  int pidfd;
  napi_ref callback;
  napi_async_context asyncContext;
};

// The live watches of one addon instance. Not freed with AddonState: close callbacks may still be
// pending when the instance data goes, so it frees itself when the last handle has closed.
// A pipe end spawn handed to JavaScript, known by its inode so that a later fd with the same number is
// never mistaken for it.
struct HandedFd {
  int fd;
  dev_t device;
  ino_t inode;
};

struct ExitWatchers {
  napi_env env;
  uv_loop_t* loop;
  std::unordered_map<uint32_t, ExitWatch*> live;
  // Spawned, pid and pidfd handed to JavaScript, watchExit not yet called. Only watchExit takes the pidfd
  // over (and erases the entry), so until then the number still names that pidfd.
  std::unordered_map<pid_t, int> awaitingWatch;
  // Pipe ends of children whose exit has not been seen yet. JavaScript wraps them in sockets right after
  // spawn; a worker terminated before it did would leak them (see TearDown).
  std::unordered_map<pid_t, std::vector<HandedFd>> handedFds;
  uint32_t nextId = 1;
  bool tearingDown = false;
  size_t pendingCloses = 0;  // uv_close called, close callback not yet run
  napi_async_cleanup_hook_handle cleanupHandle = nullptr;
};

namespace {

ExitWatchers& Watchers(Napi::Env env) { return *State(env).exitWatchers; }

// Reaps children whose exit is nobody's to deliver any more (their worker stopped), which left
// unreaped would stay zombies until the process ends. Only for this rare case is there a thread, one
// per batch, polling all its pidfds at once; it runs this library's code, which PinLibrary keeps mapped.
void ReapAllInBackground(std::vector<std::pair<pid_t, int>> children) {
  if (children.empty()) return;
  std::thread([children = std::move(children)]() mutable {
    while (!children.empty()) {
      std::vector<struct pollfd> polled;
      for (auto& child : children) polled.push_back({child.second, POLLIN, 0});
      if (core::RetryOnEintr([&] { return poll(polled.data(), polled.size(), -1); }) < 0) break;
      size_t before = children.size();
      for (size_t i = children.size(); i-- > 0;) {
        if (polled[i].revents == 0) continue;
        int status;
        if (core::ReapChild(children[i].second, children[i].first, &status, WNOHANG) == 0) continue;
        close(children[i].second);
        children.erase(children.begin() + static_cast<std::ptrdiff_t>(i));
      }
      // Ready but nothing reaped: an fd that is always ready (not a pidfd) must not make this thread spin.
      if (children.size() == before) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }).detach();
}

void OnClosed(uv_handle_t* handle) {
  ExitWatch* watch = static_cast<ExitWatch*>(handle->data);
  ExitWatchers* owner = watch->owner;
  close(watch->pidfd);
  // The env is still alive here, even while tearing down: Node frees it only after the async cleanup
  // hook is removed below, and a reference or async context not released now is never freed.
  napi_delete_reference(owner->env, watch->callback);
  napi_async_destroy(owner->env, watch->asyncContext);
  delete watch;
  if (--owner->pendingCloses == 0 && owner->tearingDown) {
    napi_remove_async_cleanup_hook(owner->cleanupHandle);
    delete owner;
  }
}

void StopWatching(ExitWatch* watch) {
  watch->owner->live.erase(watch->id);
  watch->owner->pendingCloses++;
  uv_poll_stop(&watch->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnClosed);
}

// Calls callback(err, kind, value, coreDumped) through MakeCallback, so nextTicks and promise jobs run
// after it as after any Node I/O callback; a throw becomes an uncaughtException. This runs inside a
// libuv callback: no C++ exception may leave it (that is std::terminate), including the ones N-API
// calls raise while a worker's environment is shutting down and can no longer run JavaScript.
void Deliver(ExitWatch* watch, int reapError, int status) {
  Napi::Env env(watch->owner->env);
  // Opened outside the try: the caught Napi::Error reads its value through a reference, which needs a
  // live scope (without one V8 aborts the process).
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  try {
    WaitStatusValues decoded = WaitStatusToValues(env, status);
    napi_value callbackValue;
    if (napi_get_reference_value(env, watch->callback, &callbackValue) == napi_ok) {
      Napi::Function(env, callbackValue)
          .MakeCallback(env.Global(), {Napi::Number::New(env, reapError), decoded[0], decoded[1], decoded[2]},
                        watch->asyncContext);
    }
  } catch (const Napi::Error& error) {
    // A listener threw: uncaughtException. When the environment is stopping (a worker's process.exit),
    // JavaScript cannot run any more and Node drops it.
    try {
      napi_value value = error.Value();
      if (value != nullptr) napi_fatal_exception(env, value);
    } catch (...) {
    }
  } catch (...) {
  }
  napi_close_handle_scope(env, scope);
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  ExitWatch* watch = static_cast<ExitWatch*>(handle->data);
  int waitStatus = 0;
  pid_t reaped = core::ReapChild(watch->pidfd, watch->pid, &waitStatus, WNOHANG);
  if (reaped == 0) return;  // not a zombie yet: keep polling
  // -ECHILD: someone else reaped it (a waitpid(pid) call). By pidfd, not by pid: its pid may already be
  // another child's, whose status is not ours to take.
  int reapError = reaped < 0 ? reaped : 0;
  // uv_close frees the watch only from its close callback, in a later loop phase: still valid below.
  bool deliverable = !watch->owner->tearingDown;
  watch->owner->handedFds.erase(watch->pid);  // by now JavaScript has long wrapped them
  StopWatching(watch);
  if (deliverable) Deliver(watch, reapError, waitStatus);
}

// watchExit(pid, pidfd, callback) -> id, or a negative errno when the pidfd cannot be polled. Owns the
// pidfd from here on: on failure the child, which nobody could see exit, is killed and reaped in the
// background with it, so the caller reports a failed spawn and nothing is left.
Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double pidNumber = NumberArg(info, 0, "pid");
  double pidfdNumber = NumberArg(info, 1, "pidfd");
  if (!(pidNumber >= 1 && pidNumber <= core::kPidMaxLimit) || std::floor(pidNumber) != pidNumber) {
    throw Napi::RangeError::New(env, "pid must be a positive integer");
  }
  if (!(pidfdNumber >= 0 && pidfdNumber <= INT32_MAX) || std::floor(pidfdNumber) != pidfdNumber) {
    throw Napi::RangeError::New(env, "pidfd must be a file descriptor");
  }
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  ExitWatchers& owner = Watchers(env);
  ExitWatch* watch = new ExitWatch{};
  watch->owner = &owner;
  watch->pid = static_cast<pid_t>(pidNumber);
  watch->pidfd = static_cast<int>(pidfdNumber);
  int initResult = uv_poll_init(owner.loop, &watch->poll, watch->pidfd);
  if (initResult != 0) {
    ForgetChild(env, watch->pid);
    core::SignalUnreapedChild(watch->pidfd, watch->pid, SIGKILL);
    ReapInBackground(watch->pid, watch->pidfd);
    delete watch;
    return Napi::Number::New(env, initResult);  // libuv's errors are negative errnos on Linux
  }
  watch->poll.data = watch;
  watch->id = owner.nextId++;
  napi_create_reference(env, info[2], 1, &watch->callback);
  // No resource object of ours: Node then makes one and holds it for the context's life. One passed in is
  // held weakly, and a GC before the exit took AsyncLocalStorage's store with it.
  napi_async_init(env, nullptr, Napi::String::New(env, "canfork:ChildExit"), &watch->asyncContext);
  owner.live[watch->id] = watch;
  owner.awaitingWatch.erase(watch->pid);
  uv_poll_start(&watch->poll, UV_READABLE, OnReadable);
  return Napi::Number::New(env, watch->id);
}

ExitWatch* FindWatch(const Napi::CallbackInfo& info) {
  ExitWatchers& owner = Watchers(info.Env());
  auto found = owner.live.find(static_cast<uint32_t>(NumberArg(info, 0, "id")));
  return found == owner.live.end() ? nullptr : found->second;
}

// setExitWatchRef(id, ref): an unref'd watch does not keep the loop alive, as ChildProcess.unref().
Napi::Value SetExitWatchRef(const Napi::CallbackInfo& info) {
  ExitWatch* watch = FindWatch(info);
  bool ref = BoolArg(info, 1, "ref");
  if (watch != nullptr) {
    uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&watch->poll);
    if (ref) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
  return info.Env().Undefined();
}

// signalWatched(id, signal) -> 0 or a negative errno. pidfd_send_signal on the watch's own pidfd, so a
// reaped and recycled pid is never signalled: -ESRCH once the child has been reaped.
Napi::Value SignalWatched(const Napi::CallbackInfo& info) {
  ExitWatch* watch = FindWatch(info);
  double signal = NumberArg(info, 1, "signal");
  if (!(signal >= 0 && signal < NSIG) || std::floor(signal) != signal) {
    throw Napi::RangeError::New(info.Env(), "signal out of range");
  }
  if (watch == nullptr) return Napi::Number::New(info.Env(), -ESRCH);
  // A live watch's child is not reaped yet (OnReadable reaps and forgets it in one go).
  return Napi::Number::New(info.Env(), -core::SignalUnreapedChild(watch->pidfd, watch->pid, static_cast<int>(signal)));
}

// Environment teardown (worker exit): close every poll; Node keeps the loop running until the last
// close callback removes this hook, so uv_loop_close never meets an open handle. Children still running
// (watched, or spawned and never watched) are reaped in the background.
void TearDown(napi_async_cleanup_hook_handle handle, void* data) {
  ExitWatchers* owner = static_cast<ExitWatchers*>(data);
  owner->tearingDown = true;
  std::vector<std::pair<pid_t, int>> leftovers;
  for (auto& entry : owner->live) {
    int pidfd = fcntl(entry.second->pidfd, F_DUPFD_CLOEXEC, 0);
    if (pidfd >= 0) leftovers.emplace_back(entry.second->pid, pidfd);
  }
  // The pidfds spawn returned and JavaScript never handed to watchExit: the reaper owns them now.
  for (auto& [pid, pidfd] : owner->awaitingWatch) leftovers.emplace_back(pid, pidfd);
  owner->awaitingWatch.clear();
  ReapAllInBackground(std::move(leftovers));
  // Node has closed every handle JavaScript wrapped before it runs cleanup hooks (Environment::RunCleanup
  // closes handles first), so a pipe end still open with its own inode was never wrapped: close it.
  for (auto& [pid, fds] : owner->handedFds) {
    for (const HandedFd& handed : fds) {
      struct stat now;
      if (fstat(handed.fd, &now) == 0 && now.st_dev == handed.device && now.st_ino == handed.inode) {
        close(handed.fd);
      }
    }
  }
  owner->handedFds.clear();
  if (owner->live.empty() && owner->pendingCloses == 0) {
    napi_remove_async_cleanup_hook(handle);
    delete owner;
    return;
  }
  auto live = owner->live;
  for (auto& entry : live) StopWatching(entry.second);
}

}  // namespace

void AwaitWatch(Napi::Env env, pid_t pid, int pidfd, const std::vector<int>& parentFds) {
  ExitWatchers& owner = Watchers(env);
  owner.awaitingWatch[pid] = pidfd;
  std::vector<HandedFd> handed;
  for (int fd : parentFds) {
    struct stat status;
    if (fd >= 0 && fstat(fd, &status) == 0) handed.push_back({fd, status.st_dev, status.st_ino});
  }
  if (!handed.empty()) owner.handedFds[pid] = std::move(handed);
}

void ForgetChild(Napi::Env env, pid_t pid) {
  Watchers(env).awaitingWatch.erase(pid);
  Watchers(env).handedFds.erase(pid);
}

void ReapInBackground(pid_t pid, int pidfd) { ReapAllInBackground({{pid, pidfd}}); }

void InitExitWatch(Napi::Env env, Napi::Object exports) {
  ExitWatchers* owner = new ExitWatchers();
  owner->env = env;
  if (napi_get_uv_event_loop(env, &owner->loop) != napi_ok) {
    delete owner;
    throw Napi::Error::New(env, "no uv loop");
  }
  napi_add_async_cleanup_hook(env, TearDown, owner, &owner->cleanupHandle);
  State(env).exitWatchers = owner;
  Export<WatchExit>(env, exports, "watchExit");
  Export<SetExitWatchRef>(env, exports, "setExitWatchRef");
  Export<SignalWatched>(env, exports, "signalWatched");
}

}  // namespace canfork

// Exit watching without a thread per child: every watched pidfd sits in one epoll instance of this addon
// instance, and one uv_poll on that epoll fd wakes this instance's own loop (napi_get_uv_event_loop, so
// each worker watches on its own). A pidfd turns readable when its process becomes a zombie
// (do_notify_pidfd in kernel/signal.c); then exactly that child is reaped, through the pidfd
// (docs/kernel-rules.md §6). One epoll_ctl per child, where a uv_poll per pidfd cost four system calls to
// start (libuv's pollability check, O_NONBLOCK, the add) and three to stop and close.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "addon.h"
#include "core/eintr.h"
#include "core/known-fd.h"
#include "core/vfork.h"
#include "plan.h"

namespace canfork {

struct ExitWatch {
  uint32_t id;
  pid_t pid;
  int pidfd;
  bool referenced;  // keeps the loop alive (ChildProcess.ref/unref)
  napi_ref callback;
  napi_async_context asyncContext;
};

// The live watches of one addon instance. Not freed with AddonState: the poll's close callback may still be
// pending when the instance data goes, so it frees itself once that has run (see TearDown).
struct ExitWatchers {
  napi_env env;
  uv_loop_t* loop;
  // Made with the first watch: the epoll instance holding the pidfds, and the poll that watches it. The poll
  // is referenced while at least one watch is.
  int epollFd = -1;
  uv_poll_t* poll = nullptr;
  size_t referenced = 0;
  std::unordered_map<uint32_t, ExitWatch*> live;
  // Spawned, pid and pidfd handed to JavaScript, watchExit not yet called. Only watchExit takes the pidfd
  // over (and erases the entry), so until then the number still names that pidfd.
  std::unordered_map<pid_t, int> awaitingWatch;
  // Pipe ends of children whose exit has not been seen yet. JavaScript wraps them in sockets right after
  // spawn; a worker terminated before it did would leak them (see TearDown).
  std::unordered_map<pid_t, std::vector<core::KnownFd>> handedFds;
  uint32_t nextId = 1;
  bool tearingDown = false;
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

// The shared poll keeps the loop alive exactly while some watch is referenced.
void UpdatePollRef(ExitWatchers& owner) {
  if (owner.poll == nullptr) return;
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(owner.poll);
  if (owner.referenced > 0) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

// Sets whether a watch keeps the loop alive (ChildProcess.ref/unref), keeping the owner's count with it.
void SetReferenced(ExitWatchers& owner, ExitWatch* watch, bool ref) {
  if (watch->referenced == ref) return;
  watch->referenced = ref;
  if (ref) {
    owner.referenced++;
  } else {
    owner.referenced--;
  }
  UpdatePollRef(owner);
}

// Takes a watch out of the live ones, so that a kill or unref from its callback finds the child gone.
void Forget(ExitWatchers* owner, ExitWatch* watch) {
  owner->live.erase(watch->id);
  SetReferenced(*owner, watch, false);
}

// Ends a forgotten watch, after its callback (off the way from the exit to JavaScript): its pidfd leaves the
// epoll instance (explicitly: a close alone leaves it there while any copy of the fd lives on, as in a child
// another thread is forking) and closes, and what it held in the environment is freed; the environment is
// still alive even while tearing down (Node frees it only after the async cleanup hook is removed).
void Release(ExitWatchers* owner, ExitWatch* watch) {
  epoll_ctl(owner->epollFd, EPOLL_CTL_DEL, watch->pidfd, nullptr);
  close(watch->pidfd);
  napi_delete_reference(owner->env, watch->callback);
  napi_async_destroy(owner->env, watch->asyncContext);
  delete watch;
}

// Calls callback(err, kind, value, coreDumped) through MakeCallback, so nextTicks and promise jobs run
// after it as after any Node I/O callback; a throw becomes an uncaughtException. This runs inside a
// libuv callback: no C++ exception may leave it (that is std::terminate), including the ones N-API
// calls raise while a worker's environment is shutting down and can no longer run JavaScript.
void Deliver(ExitWatchers* owner, ExitWatch* watch, int reapError, int status) {
  Napi::Env env(owner->env);
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

// The epoll instance is readable: reap each child whose pidfd is, and report its exit. Level-triggered, so
// what one call leaves (more than a batch, a child not yet reapable) comes back at the next loop turn.
void OnReadable(uv_poll_t* handle, int status, int events) {
  ExitWatchers* owner = static_cast<ExitWatchers*>(handle->data);
  struct epoll_event ready[64];
  int count = core::RetryOnEintr([&] { return epoll_wait(owner->epollFd, ready, 64, 0); });
  for (int i = 0; i < count; i++) {
    // Looked up again for each: a callback below runs JavaScript, which may watch new children.
    auto found = owner->live.find(ready[i].data.u32);
    if (found == owner->live.end()) continue;
    ExitWatch* watch = found->second;
    int waitStatus = 0;
    pid_t reaped = core::ReapChild(watch->pidfd, watch->pid, &waitStatus, WNOHANG);
    if (reaped == 0) continue;  // not a zombie yet: keep polling
    // -ECHILD: someone else reaped it (a waitpid(pid) call). By pidfd, not by pid: its pid may already be
    // another child's, whose status is not ours to take.
    int reapError = reaped < 0 ? reaped : 0;
    owner->handedFds.erase(watch->pid);  // by now JavaScript has long wrapped them
    Forget(owner, watch);
    if (!owner->tearingDown) Deliver(owner, watch, reapError, waitStatus);
    Release(owner, watch);
  }
}

// The epoll instance and its poll, made with the first watch. 0 or a negative errno.
int StartPolling(ExitWatchers& owner) {
  if (owner.poll != nullptr) return 0;
  int epollFd = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd < 0) return -errno;
  uv_poll_t* poll = new uv_poll_t;
  int result = uv_poll_init(owner.loop, poll, epollFd);
  if (result != 0) {
    delete poll;
    close(epollFd);
    return result;  // libuv's errors are negative errnos on Linux
  }
  poll->data = &owner;
  owner.epollFd = epollFd;
  owner.poll = poll;
  uv_poll_start(poll, UV_READABLE, OnReadable);
  UpdatePollRef(owner);
  return 0;
}

// watchExit(pid, pidfd, callback) -> id, or a negative errno when the pidfd cannot be polled. Owns the
// pidfd from here on: on failure the child, which nobody could see exit, is killed and reaped in the
// background with it, so the caller reports a failed spawn and nothing is left.
Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = static_cast<pid_t>(IntegerArg(info, 0, "pid", 1, core::kPidMaxLimit, "pid must be a positive integer"));
  int pidfd = static_cast<int>(IntegerArg(info, 1, "pidfd", 0, INT32_MAX, "pidfd must be a file descriptor"));
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  ExitWatchers& owner = Watchers(env);
  uint32_t id = owner.nextId++;
  int result = StartPolling(owner);
  if (result == 0) {
    struct epoll_event event = {};
    event.events = EPOLLIN;
    event.data.u32 = id;
    if (epoll_ctl(owner.epollFd, EPOLL_CTL_ADD, pidfd, &event) != 0) result = -errno;
  }
  if (result != 0) {
    ForgetChild(env, pid);
    core::SignalUnreapedChild(pidfd, pid, SIGKILL);
    ReapInBackground(pid, pidfd);
    return Napi::Number::New(env, result);
  }
  ExitWatch* watch = new ExitWatch{id, pid, pidfd, false, nullptr, nullptr};
  napi_create_reference(env, info[2], 1, &watch->callback);
  // No resource object of ours: Node then makes one and holds it for the context's life. One passed in is
  // held weakly, and a GC before the exit took AsyncLocalStorage's store with it.
  napi_async_init(env, nullptr, Napi::String::New(env, "canfork:ChildExit"), &watch->asyncContext);
  owner.live[id] = watch;
  SetReferenced(owner, watch, true);
  owner.awaitingWatch.erase(pid);
  return Napi::Number::New(env, id);
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
  if (watch != nullptr) SetReferenced(Watchers(info.Env()), watch, ref);
  return info.Env().Undefined();
}

// signalWatched(id, signal) -> 0 or a negative errno. pidfd_send_signal on the watch's own pidfd, so a
// reaped and recycled pid is never signalled: -ESRCH once the child has been reaped.
Napi::Value SignalWatched(const Napi::CallbackInfo& info) {
  ExitWatch* watch = FindWatch(info);
  int signal = static_cast<int>(IntegerArg(info, 1, "signal", 0, NSIG - 1, "signal out of range"));
  if (watch == nullptr) return Napi::Number::New(info.Env(), -ESRCH);
  // A live watch's child is not reaped yet (OnReadable reaps and forgets it in one go).
  return Napi::Number::New(info.Env(), -core::SignalUnreapedChild(watch->pidfd, watch->pid, signal));
}

void OnPollClosed(uv_handle_t* handle) {
  ExitWatchers* owner = static_cast<ExitWatchers*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  close(owner->epollFd);
  napi_remove_async_cleanup_hook(owner->cleanupHandle);
  delete owner;
}

// Environment teardown (worker exit): every watch ends and the poll closes; Node keeps the loop running
// until its close callback removes this hook, so uv_loop_close never meets an open handle. Children still
// running (watched, or spawned and never watched) are reaped in the background.
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
    for (const core::KnownFd& handed : fds) {
      if (handed.NamesSameFile()) close(handed.fd);
    }
  }
  owner->handedFds.clear();
  while (!owner->live.empty()) {
    ExitWatch* watch = owner->live.begin()->second;
    Forget(owner, watch);
    Release(owner, watch);
  }
  if (owner->poll == nullptr) {
    napi_remove_async_cleanup_hook(handle);
    delete owner;
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(owner->poll), OnPollClosed);
}

}  // namespace

void AwaitWatch(Napi::Env env, pid_t pid, int pidfd, const std::vector<int>& parentFds) {
  ExitWatchers& owner = Watchers(env);
  owner.awaitingWatch[pid] = pidfd;
  std::vector<core::KnownFd> handed;
  for (int fd : parentFds) {
    core::KnownFd known = core::KnownFd::Of(fd);
    if (known.fd >= 0) handed.push_back(known);
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

// vfork+exec: clone(CLONE_VM|CLONE_VFORK) copies no page table and charges no commit, so it works where
// fork's dup_mmap() fails with ENOMEM. The child keeps the rules of glibc's spawni.c (KERNEL.md §5).
#include "spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace canfork {
namespace {

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// Enough for the child's few frames (sigaction, prlimit, execve); the kernel builds the new stack.
constexpr size_t kChildStackBytes = 64 * 1024;

// What the child reads and writes. The parent is suspended until exec or _exit (CLONE_VFORK), so the
// child's write of `errnum` is visible once clone() returns.
struct ChildContext {
  const SpawnPlan* plan;
  int* sources;       // per target fd: the fd to dup2 there, or -1 to close it (scratch, child-owned)
  int targetCount;
  volatile int errnum;
};

[[noreturn]] void ChildFail(ChildContext* context, int errnum) {
  context->errnum = errnum;
  _exit(127);
}

// Every caught handler would run Node's code on the parent's memory: reset to SIG_DFL. Ignored signals
// too, real-time ones included (exec keeps SIG_IGN): the child starts with default dispositions, not
// with whatever Node or the host application chose to ignore (Node ignores SIGPIPE).
void ResetSignalDispositions() {
  struct sigaction defaultAction = {};
  defaultAction.sa_handler = SIG_DFL;
  for (int signum = 1; signum < NSIG; signum++) {
    if (signum == SIGKILL || signum == SIGSTOP) continue;
    struct sigaction current;
    // glibc refuses its internal SIGCANCEL/SIGSETXID with EINVAL: those stay as they are.
    if (sigaction(signum, nullptr, &current) != 0) continue;
    if (current.sa_handler == SIG_DFL) continue;
    sigaction(signum, &defaultAction, nullptr);
  }
}

// Moves every source below targetCount out of the way first, so no dup2 clobbers a later source;
// then places each one and closes the rest (close_range, 5.9; a loop before that).
int ArrangeFds(ChildContext* context) {
  const int count = context->targetCount;
  for (int target = 0; target < count; target++) {
    int source = context->sources[target];
    if (source < 0 || source >= count) continue;
    int moved = fcntl(source, F_DUPFD_CLOEXEC, count);
    if (moved < 0) return errno;
    context->sources[target] = moved;
  }
  for (int target = 0; target < count; target++) {
    int source = context->sources[target];
    if (source < 0) {
      close(target);
    } else if (dup2(source, target) < 0) {  // dup2 leaves the new fd without FD_CLOEXEC
      return errno;
    }
  }
  if (syscall(SYS_close_range, count, ~0U, 0) != 0) {
    struct rlimit nofile;
    int limit = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 65536 ? static_cast<int>(nofile.rlim_cur) : 65536;
    for (int fd = count; fd < limit; fd++) close(fd);
  }
  return 0;
}

// execvpe's rule: go on past ENOENT/ENOTDIR and friends, remember EACCES, stop at anything else.
int ExecCandidates(const SpawnPlan* plan) {
  bool sawEacces = false;
  int lastErrno = ENOENT;
  for (const char* candidate : plan->candidates) {
    execve(candidate, plan->argv.data(), plan->envp.data());
    int errnum = errno;
    if (errnum == EACCES) {
      sawEacces = true;
    } else if (errnum != ENOENT && errnum != ENOTDIR && errnum != ESTALE && errnum != ENODEV && errnum != ETIMEDOUT) {
      return errnum;
    }
    lastErrno = errnum;
  }
  return sawEacces ? EACCES : lastErrno;
}

// Runs in the child, on kChildStackBytes of the parent's frame, sharing the parent's memory: no
// malloc, no locks, no C++ objects created; only syscalls on data the parent prepared.
int ChildMain(void* argument) {
  ChildContext* context = static_cast<ChildContext*>(argument);
  const SpawnPlan* plan = context->plan;
  ResetSignalDispositions();
  if (plan->newSession && setsid() < 0) ChildFail(context, errno);
  if (plan->newProcessGroup && !plan->newSession && setpgid(0, 0) != 0) ChildFail(context, errno);
  for (size_t i = 0; i < plan->limitResources.size(); i++) {
    if (syscall(SYS_prlimit64, 0, plan->limitResources[i], &plan->limits[i], nullptr) != 0) ChildFail(context, errno);
  }
  int fdErrno = ArrangeFds(context);
  if (fdErrno != 0) ChildFail(context, fdErrno);
  if (plan->hasCwd && chdir(plan->cwd.c_str()) != 0) ChildFail(context, errno);
  // Raw syscalls: glibc's set*id wrappers signal every thread of what they think is their process.
  if (plan->uid >= 0 || plan->gid >= 0) syscall(SYS_setgroups, 0, nullptr);
  if (plan->gid >= 0 && syscall(SYS_setgid, static_cast<gid_t>(plan->gid)) != 0) ChildFail(context, errno);
  if (plan->uid >= 0 && syscall(SYS_setuid, static_cast<uid_t>(plan->uid)) != 0) ChildFail(context, errno);
  sigset_t emptyMask;
  sigemptyset(&emptyMask);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &emptyMask, nullptr, _NSIG / 8);
  ChildFail(context, ExecCandidates(plan));
}

void CloseAll(std::vector<int>& fds) {
  for (int& fd : fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

// Opens what the plan asks for: socketpairs for pipes, /dev/null for ignored stdio. O_CLOEXEC on all,
// so a concurrent spawn in another thread never inherits them.
int PrepareSources(const SpawnPlan& plan, std::vector<int>& sources, std::vector<int>& childEnds,
                   std::vector<int>& parentEnds) {
  for (size_t target = 0; target < plan.stdio.size(); target++) {
    int spec = plan.stdio[target];
    if (spec == kStdioPipe) {
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return errno;
      parentEnds[target] = pair[0];
      childEnds[target] = pair[1];
      sources[target] = pair[1];
    } else if (spec == kStdioIgnore) {
      if (target > 2) continue;
      int devNull = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (devNull < 0) return errno;
      childEnds[target] = devNull;
      sources[target] = devNull;
    } else {
      sources[target] = spec;
    }
  }
  return 0;
}

// Kept out of line so that the child's stack, a buffer in this frame, lies in memory the suspended
// parent does not touch until the child has exec'd or exited.
__attribute__((noinline)) pid_t CloneChild(ChildContext* context, int* pidfd) {
  alignas(64) char childStack[kChildStackBytes];
  void* stackTop = childStack + sizeof(childStack);  // x86-64 and arm64 stacks grow down
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  pid_t pid = clone(ChildMain, stackTop, flags | CLONE_PIDFD, context, pidfd, nullptr, nullptr);
  if (pid < 0 && errno == EINVAL) {  // before 5.2: no CLONE_PIDFD
    *pidfd = -1;
    pid = clone(ChildMain, stackTop, flags, context, nullptr, nullptr, nullptr);
  }
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer builds only: the child's instrumented frames poisoned the shadow of this buffer and
  // exec'd without unpoisoning it; left so, the parent's later frames here report false errors (what
  // __asan_handle_vfork does after vfork()).
  ASAN_UNPOISON_MEMORY_REGION(childStack, sizeof(childStack));
#endif
  return pid;
}

Napi::Array StringArray(Napi::Env env, Napi::Object plan, const char* key) {
  Napi::Value value = plan.Get(key);
  if (!value.IsArray()) throw Napi::TypeError::New(env, std::string("plan.") + key + " must be an array");
  return value.As<Napi::Array>();
}

// Copies strings into storage, then points at them: the pointers stay valid because storage is
// never resized afterwards. Embedded NULs were refused in TypeScript; re-checked here.
void ReadStrings(Napi::Env env, Napi::Array array, std::vector<std::string>& storage) {
  storage.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(env, "plan strings must be strings");
    storage.push_back(item.As<Napi::String>().Utf8Value());
    if (storage.back().find('\0') != std::string::npos) throw Napi::TypeError::New(env, "NUL byte in a plan string");
  }
}

rlim_t LimitValue(Napi::Env env, Napi::Value value) {
  double number = value.As<Napi::Number>().DoubleValue();
  if (number == INFINITY) return RLIM_INFINITY;
  if (!(number >= 0 && number <= kMaxSafeInteger)) throw Napi::RangeError::New(env, "bad limit");
  return static_cast<rlim_t>(number);
}

// spawn(plan) -> { pid, pidfd, fds } or { errno, fds } (fds: the open parent ends when exec failed)
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan = ReadSpawnPlan(env, info[0]);
  SpawnOutcome outcome = SpawnChild(plan);
  Napi::Object result = Napi::Object::New(env);
  Napi::Array fds = Napi::Array::New(env, outcome.parentFds.size());
  for (uint32_t i = 0; i < outcome.parentFds.size(); i++) fds.Set(i, Napi::Number::New(env, outcome.parentFds[i]));
  if (outcome.errnum != 0) {
    result.Set("errno", Napi::Number::New(env, outcome.errnum));
    result.Set("fds", fds);
    return result;
  }
  result.Set("pid", Napi::Number::New(env, outcome.pid));
  result.Set("pidfd", Napi::Number::New(env, outcome.pidfd));
  result.Set("fds", fds);
  return result;
}

}  // namespace

SpawnPlan ReadSpawnPlan(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "plan must be an object");
  Napi::Object object = value.As<Napi::Object>();
  SpawnPlan plan;
  ReadStrings(env, StringArray(env, object, "candidates"), plan.candidateStorage);
  ReadStrings(env, StringArray(env, object, "argv"), plan.argvStorage);
  ReadStrings(env, StringArray(env, object, "envp"), plan.envStorage);
  if (plan.candidateStorage.empty() || plan.argvStorage.empty()) throw Napi::TypeError::New(env, "empty plan");
  for (const std::string& candidate : plan.candidateStorage) plan.candidates.push_back(candidate.c_str());
  for (std::string& arg : plan.argvStorage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& pair : plan.envStorage) plan.envp.push_back(pair.data());
  plan.envp.push_back(nullptr);
  Napi::Value cwd = object.Get("cwd");
  if (cwd.IsString()) {
    plan.cwd = cwd.As<Napi::String>().Utf8Value();
    plan.hasCwd = true;
  }
  Napi::Array stdio = StringArray(env, object, "stdio");
  for (uint32_t i = 0; i < stdio.Length(); i++) {
    Napi::Value spec = stdio.Get(i);
    if (!spec.IsNumber()) throw Napi::TypeError::New(env, "plan.stdio entries must be numbers");
    int number = spec.As<Napi::Number>().Int32Value();
    if (number < kStdioIgnore) throw Napi::RangeError::New(env, "bad plan.stdio entry");
    plan.stdio.push_back(number);
  }
  plan.uid = object.Get("uid").As<Napi::Number>().Int64Value();
  plan.gid = object.Get("gid").As<Napi::Number>().Int64Value();
  plan.newSession = object.Get("newSession").ToBoolean().Value();
  plan.newProcessGroup = object.Get("newProcessGroup").ToBoolean().Value();
  Napi::Array limits = StringArray(env, object, "rlimits");  // flat [resource, soft, hard, ...]
  for (uint32_t i = 0; i + 2 < limits.Length(); i += 3) {
    plan.limitResources.push_back(limits.Get(i).As<Napi::Number>().Int32Value());
    plan.limits.push_back({LimitValue(env, limits.Get(i + 1)), LimitValue(env, limits.Get(i + 2))});
  }
  return plan;
}

SpawnOutcome SpawnChild(SpawnPlan& plan) {
  SpawnOutcome outcome;
  const size_t count = plan.stdio.size();
  std::vector<int> sources(count, -1), childEnds(count, -1);
  outcome.parentFds.assign(count, -1);
  int prepareErrno = PrepareSources(plan, sources, childEnds, outcome.parentFds);
  if (prepareErrno != 0) {
    CloseAll(childEnds);
    CloseAll(outcome.parentFds);
    outcome.errnum = prepareErrno;
    return outcome;
  }

  ChildContext context = {&plan, sources.data(), static_cast<int>(count), 0};
  // All signals blocked across the clone: no handler may run in the child before it resets them.
  sigset_t allSignals, previousMask;
  sigfillset(&allSignals);
  pthread_sigmask(SIG_SETMASK, &allSignals, &previousMask);
  int pidfd = -1;
  pid_t pid = CloneChild(&context, &pidfd);
  int cloneErrno = errno;
  pthread_sigmask(SIG_SETMASK, &previousMask, nullptr);
  CloseAll(childEnds);

  if (pid < 0) {
    CloseAll(outcome.parentFds);
    outcome.errnum = cloneErrno;
    return outcome;
  }
  if (context.errnum != 0) {
    // The child ran _exit(127); reap exactly it, never -1 (that would steal child_process's children).
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) close(pidfd);
    // The parent ends stay open (their peers died with the child): as libuv, the caller opens them into
    // its streams even when exec failed, so they read EOF instead of failing. Callers close them.
    outcome.errnum = context.errnum;
    return outcome;
  }
  if (pidfd < 0) {
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // 5.3; an exited child still has one
    if (pidfd < 0) {
      // Without a pidfd the exit cannot be watched: fail cleanly rather than leave an orphan zombie.
      int openErrno = errno;
      kill(pid, SIGKILL);
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      CloseAll(outcome.parentFds);
      outcome.errnum = openErrno;
      return outcome;
    }
  }
  outcome.pid = pid;
  outcome.pidfd = pidfd;
  return outcome;
}

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
}

}  // namespace canfork

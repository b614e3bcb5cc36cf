// vfork+exec. clone(CLONE_VM|CLONE_VFORK) copies no page table and charges no commit, so it works where
// fork's dup_mmap() fails with ENOMEM (docs/kernel-rules.md §3). Between the clone and the exec the child
// shares the parent's memory; the three hazards glibc's spawni.c names (docs/kernel-rules.md §5) are
// handled here:
//  1. signal handlers: every signal is blocked before the clone, and every handler is SIG_DFL before the
//     child unblocks (reset by the kernel at the clone, or by the child), so no Node handler runs on the
//     parent's memory;
//  2. the stack: the child runs on its own buffer in CloneChild's frame, which the suspended parent
//     does not touch until the child has exec'd or exited;
//  3. shared state: the child calls no malloc, takes no lock and creates no C++ object; it only reads
//     what SpawnChild built, makes raw syscalls, and writes its errno (and the shell's argv slot).
#include "vfork.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "clone3.h"
#include "eintr.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace canfork::core {
namespace {

// libuv's child resets signals 1-31 ("uv_kill() restricts signals to 1-31"); 32 is the kernel's first
// real-time signal.
constexpr int kFirstRealTimeSignal = 32;

// Enough for the child's few frames (sigaction, prlimit, execve); the kernel builds the new stack.
constexpr size_t kChildStackBytes = 64 * 1024;

// What the child reads and writes. The parent is suspended until exec or _exit (CLONE_VFORK), so the
// child's writes are visible once the clone returns.
struct ChildContext {
  const SpawnPlan* plan;
  char* const* argv;
  char* const* envp;
  const char** shellArgv;  // ["/bin/sh", <candidate, written by the child>, argv[1]..., NULL]
  int* sources;            // per target fd: the fd to place there, or -1 (scratch, child-owned)
  int targetCount;
  int nullDevice[2];       // kept /dev/null for an ignored 0 (read-only) and 1-2 (read-write); -1: open it
  pid_t parentPid;         // getpid() before the clone: the pdeathsig check compares getppid() with it
  bool handlersCleared;    // the clone had CLONE_CLEAR_SIGHAND: only signals 1-31 are left to reset
  volatile int errnum;
};

[[noreturn]] void ChildFail(ChildContext* context, int errnum) {
  context->errnum = errnum;
  _exit(127);
}

// Every caught handler would run Node's code on the parent's memory: reset to SIG_DFL. Then, as libuv's
// child (uv__process_child_init) does for child_process, signals 1-31 are set to SIG_DFL whatever they were,
// so that none the parent ignores stays ignored (exec keeps SIG_IGN; Node ignores SIGPIPE and SIGXFSZ), and
// an ignored real-time signal stays ignored.
void ResetSignalDispositions(const ChildContext* context) {
  struct sigaction defaultAction = {};
  defaultAction.sa_handler = SIG_DFL;
  if (context->handlersCleared) {
    // 29 system calls while the parent waits, which cost less than learning which of them are ignored: with
    // a read of /proc/self/stat before the clone, the spawn() call took 2-6 µs longer (bench/spawn-ab.mjs).
    for (int signum = 1; signum < kFirstRealTimeSignal; signum++) {
      if (signum != SIGKILL && signum != SIGSTOP) sigaction(signum, &defaultAction, nullptr);
    }
    return;
  }
  // Without CLONE_CLEAR_SIGHAND: a sigaction query per signal.
  for (int signum = 1; signum < NSIG; signum++) {
    if (signum == SIGKILL || signum == SIGSTOP) continue;
    struct sigaction current;
    // glibc refuses its internal SIGCANCEL/SIGSETXID with EINVAL: those stay as they are.
    if (sigaction(signum, nullptr, &current) != 0) continue;
    if (current.sa_handler == SIG_DFL) continue;
    if (current.sa_handler == SIG_IGN && signum >= kFirstRealTimeSignal) continue;
    sigaction(signum, &defaultAction, nullptr);
  }
}

// libuv's uv__process_child_init, which child_process users get: sources that a lower dup2 would
// clobber are moved above the stdio count first; then each target gets its source (FD_CLOEXEC cleared
// when it already sits there), an ignored 0-2 gets /dev/null (0 read-only, 1-2 read-write: the kept
// descriptor's copy, else opened here), an ignored 3+ is left as it is, and 0-2 lose O_NONBLOCK. Nothing
// above is closed: what Node and canfork open is CLOEXEC, and libuv leaves the rest to the exec.
int ArrangeFds(ChildContext* context) {
  const int count = context->targetCount;
  for (int target = 0; target < count; target++) {
    int source = context->sources[target];
    if (source < 0 || source >= target) continue;
    int moved = fcntl(source, F_DUPFD_CLOEXEC, count);
    if (moved < 0) return errno;
    context->sources[target] = moved;
  }
  for (int target = 0; target < count; target++) {
    int source = context->sources[target];
    if (source < 0) {
      if (target > 2) continue;
      // Kept above 2, so never a target here, and its flags were checked before the clone.
      int kept = context->nullDevice[target == 0 ? 0 : 1];
      if (kept >= 0) {
        if (dup2(kept, target) < 0) return errno;
        continue;
      }
      close(target);
      int devNull = open("/dev/null", target == 0 ? O_RDONLY : O_RDWR);
      if (devNull < 0) return errno;
      if (devNull != target) {
        int placed = dup2(devNull, target);
        close(devNull);
        if (placed < 0) return errno;
      }
      continue;
    }
    if (source == target) {
      if (fcntl(target, F_SETFD, 0) != 0) return errno;
    } else if (dup2(source, target) < 0) {  // dup2 leaves the new fd without FD_CLOEXEC
      return errno;
    }
    if (target <= 2) {
      int flags = fcntl(target, F_GETFL);
      if (flags >= 0 && (flags & O_NONBLOCK) != 0) fcntl(target, F_SETFL, flags & ~O_NONBLOCK);
    }
  }
  return 0;
}

// execvpe's rule (glibc posix/execvpe.c): go on past ENOENT/ENOTDIR and friends, remember EACCES, stop
// at anything else. A candidate the kernel cannot execute (ENOEXEC: no #!, no ELF) runs under /bin/sh
// with [/bin/sh, candidate, argv[1]...], as execvp does for child_process.
int ExecCandidates(ChildContext* context) {
  bool sawEacces = false;
  int lastErrno = ENOENT;
  const StringList& candidates = context->plan->candidates;
  for (size_t i = 0; i < candidates.size(); i++) {
    execve(candidates[i], context->argv, context->envp);
    int errnum = errno;
    if (errnum == ENOEXEC) {
      context->shellArgv[1] = candidates[i];
      execve(context->shellArgv[0], const_cast<char* const*>(context->shellArgv), context->envp);
      errnum = errno;
    }
    if (errnum == EACCES) {
      sawEacces = true;
    } else if (errnum != ENOENT && errnum != ENOTDIR && errnum != ESTALE && errnum != ENODEV && errnum != ETIMEDOUT) {
      return errnum;
    }
    lastErrno = errnum;
  }
  return sawEacces ? EACCES : lastErrno;
}

// Runs in the child on kChildStackBytes of the parent's frame, sharing the parent's memory.
int ChildMain(void* argument) {
  ChildContext* context = static_cast<ChildContext*>(argument);
  const SpawnPlan* plan = context->plan;
  ResetSignalDispositions(context);
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
  if (plan->pdeathsig != 0) {
    // After the set*id calls, which clear it (commit_creds). It fires when the spawning *thread* exits.
    if (prctl(PR_SET_PDEATHSIG, plan->pdeathsig) != 0) ChildFail(context, errno);
    // The parent may have died before the prctl: then nothing will fire, so send it now (it stays
    // pending until the mask below is cleared, as a real one would).
    if (syscall(SYS_getppid) != context->parentPid) syscall(SYS_kill, syscall(SYS_getpid), plan->pdeathsig);
  }
  sigset_t emptyMask;
  sigemptyset(&emptyMask);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &emptyMask, nullptr, _NSIG / 8);
  ChildFail(context, ExecCandidates(context));
}

void CloseAll(std::vector<int>& fds) {
  for (int& fd : fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

// Opens a socketpair per pipe, CLOEXEC so a concurrent spawn in another thread never inherits one.
int PreparePipes(const SpawnPlan& plan, std::vector<int>& sources, std::vector<int>& childEnds,
                 std::vector<int>& parentEnds) {
  for (size_t target = 0; target < plan.stdio.size(); target++) {
    int spec = plan.stdio[target];
    if (spec == kStdioPipe) {
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return errno;
      parentEnds[target] = pair[0];
      childEnds[target] = pair[1];
      sources[target] = pair[1];
    } else {
      sources[target] = spec;  // kStdioIgnore stays negative
    }
  }
  return 0;
}

#if CANFORK_HAS_CLONE3_TRAMPOLINE
// Set once clone3 with CLONE_CLEAR_SIGHAND was refused (kernels before 5.5; seccomp filters such as
// Docker's default, which answer ENOSYS so that callers fall back; valgrind): later spawns use clone().
std::atomic<bool> clearSighandRefused{false};
#endif

// Kept out of line so that the child's stack, a buffer in this frame, lies in memory the suspended
// parent does not touch until the child has exec'd or exited. Returns the pid or a negative errno.
__attribute__((noinline)) pid_t CloneChild(ChildContext* context, int cgroupFd, int* pidfd) {
  alignas(64) char childStack[kChildStackBytes];
  pid_t pid = -ENOSYS;  // with cgroupFd and no clone3 trampoline for this architecture
  bool cloned = false;
  context->handlersCleared = false;
#if CANFORK_HAS_CLONE3_TRAMPOLINE
  // clone3 with CLONE_CLEAR_SIGHAND (5.5): the kernel resets every handler in the child, so the child
  // resets only signals 1-31, instead of asking about each signal.
  bool clearHandlers = !clearSighandRefused.load(std::memory_order_relaxed);
  if (cgroupFd >= 0 || clearHandlers) {
    struct clone_args args = {};
    args.flags = CLONE_VM | CLONE_VFORK;
    if (context->plan->makePidfd) args.flags |= CLONE_PIDFD;
    if (clearHandlers) args.flags |= CLONE_CLEAR_SIGHAND;
    if (cgroupFd >= 0) args.flags |= CLONE_INTO_CGROUP;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uint64_t>(childStack);
    args.stack_size = sizeof(childStack);
    args.cgroup = cgroupFd >= 0 ? static_cast<uint64_t>(cgroupFd) : 0;
    context->handlersCleared = clearHandlers;
    // With cgroupFd: before 5.3 ENOSYS (no clone3), before 5.7 E2BIG (no cgroup field); EBADF or
    // EOPNOTSUPP for an fd that is not a usable cgroup v2 directory. Those are the spawn's errors.
    pid = static_cast<pid_t>(Clone3(&args, ChildMain, context));
    cloned = cgroupFd >= 0 || (pid != -ENOSYS && pid != -EINVAL);
    if (!cloned) {  // no child was made: clone() below, with the child asking about each signal
      clearSighandRefused.store(true, std::memory_order_relaxed);
      context->handlersCleared = false;
    }
  }
#endif
  if (!cloned && cgroupFd < 0) {
    void* stackTop = childStack + sizeof(childStack);  // x86-64 and arm64 stacks grow down
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    bool withPidfd = context->plan->makePidfd;
    pid = clone(ChildMain, stackTop, withPidfd ? flags | CLONE_PIDFD : flags, context, pidfd, nullptr, nullptr);
    if (pid < 0 && errno == EINVAL && withPidfd) {  // before 5.2: no CLONE_PIDFD
      *pidfd = -1;
      pid = clone(ChildMain, stackTop, flags, context, nullptr, nullptr, nullptr);
    }
    if (pid < 0) pid = -errno;
  }
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer builds only: the child's instrumented frames poisoned the shadow of this buffer and
  // exec'd without unpoisoning it; left so, the parent's later frames here report false errors (what
  // __asan_handle_vfork does after vfork()).
  ASAN_UNPOISON_MEMORY_REGION(childStack, sizeof(childStack));
#endif
  return pid;
}

}  // namespace

NullDevice::~NullDevice() {
  for (const Kept& kept : kept_) {
    if (kept.file.fd >= 0) close(kept.file.fd);
  }
}

int NullDevice::Descriptor(bool readWrite) {
  Kept& kept = kept_[readWrite];
  const int accessMode = readWrite ? O_RDWR : O_RDONLY;
  if (kept.file.fd >= 0) {
    int flags = kept.file.NamesSameFile() ? fcntl(kept.file.fd, F_GETFL) : -1;
    if (flags >= 0 && (flags & O_ACCMODE) == accessMode) {
      if (flags != kept.flags) fcntl(kept.file.fd, F_SETFL, kept.flags);  // a child's F_SETFL on the shared description
      return kept.file.fd;
    }
    kept.file = {};  // the number is not ours any more: not ours to close either
  }
  int fd = RetryOnEintr([&] { return open("/dev/null", accessMode | O_CLOEXEC); });
  if (fd >= 0 && fd <= 2) {  // a process started without its 0-2: keep them free, and never a child's target
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    fd = moved;
  }
  kept.file = KnownFd::Of(fd);
  if (kept.file.fd < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  kept.flags = fcntl(fd, F_GETFL);
  return fd;
}

pid_t WaitExactly(pid_t pid, int* status, int options) {
  if (pid <= 0) return -EINVAL;
  pid_t result = RetryOnEintr([&] { return waitpid(pid, status, options); });
  return result < 0 ? -errno : result;
}

pid_t ReapChild(int pidfd, pid_t pid, int* status, int options) {
  if (pidfd < 0) return WaitExactly(pid, status, options);  // a plan without makePidfd
  siginfo_t info = {};
  if (RetryOnEintr([&] { return waitid(static_cast<idtype_t>(kIdTypePidfd), static_cast<id_t>(pidfd), &info, WEXITED | options); }) != 0) {
    if (errno == EINVAL || errno == EBADF) return WaitExactly(pid, status, options);
    return -errno;
  }
  if (info.si_pid == 0) return 0;  // WNOHANG: not a zombie yet
  // The status word waitpid would have given (WEXITED only: no stopped or continued child).
  if (info.si_code == CLD_EXITED) {
    *status = (info.si_status & 0xff) << 8;
  } else {
    *status = (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
  }
  return info.si_pid;
}

int SignalUnreapedChild(int pidfd, pid_t pid, int signal) {
  if (syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0) return 0;
  if (errno != ENOSYS) return errno;
  return kill(pid, signal) == 0 ? 0 : errno;
}

SpawnOutcome SpawnChild(const SpawnPlan& plan) {
  SpawnOutcome outcome;
  if (plan.argv.empty() || plan.candidates.empty()) {
    outcome.error = -EINVAL;
    return outcome;
  }
  // The shell's argv for a candidate without #!, built here: the child may not allocate.
  std::vector<const char*> shellArgv = {"/bin/sh", nullptr};
  for (size_t i = 1; i < plan.argv.size(); i++) shellArgv.push_back(plan.argv[i]);
  shellArgv.push_back(nullptr);

  const size_t count = plan.stdio.size();
  std::vector<int> sources(count, -1), childEnds(count, -1);
  outcome.parentFds.assign(count, -1);
  int prepareErrno = PreparePipes(plan, sources, childEnds, outcome.parentFds);
  if (prepareErrno != 0) {
    CloseAll(childEnds);
    CloseAll(outcome.parentFds);
    outcome.error = -prepareErrno;
    return outcome;
  }

  // getpid() only for the pdeathsig check: a system call less per spawn.
  ChildContext context = {&plan, plan.argv.data(), plan.inheritEnvironment ? environ : plan.envp.data(), shellArgv.data(),
                          sources.data(), static_cast<int>(count), {-1, -1}, plan.pdeathsig != 0 ? getpid() : 0, false, 0};
  if (plan.nullDevice != nullptr) {
    auto ignored = [&](size_t target) { return target < count && plan.stdio[target] == kStdioIgnore; };
    if (ignored(0)) context.nullDevice[0] = plan.nullDevice->Descriptor(false);
    if (ignored(1) || ignored(2)) context.nullDevice[1] = plan.nullDevice->Descriptor(true);
  }
  // Every signal blocked across the clone, glibc's internal ones too (sigfillset leaves those out):
  // no handler may run in the child before it has reset them.
  sigset_t allSignals, previousMask;
  memset(&allSignals, 0xff, sizeof(allSignals));
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &allSignals, &previousMask, _NSIG / 8);
  int pidfd = -1;
  pid_t pid = CloneChild(&context, plan.cgroupFd, &pidfd);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previousMask, nullptr, _NSIG / 8);
  CloseAll(childEnds);

  if (pid < 0) {
    CloseAll(outcome.parentFds);
    outcome.error = pid;
    return outcome;
  }
  if (context.errnum != 0) {
    // The child ran _exit(127); reap exactly it, never -1 (that would steal child_process's children).
    int status;
    WaitExactly(pid, &status, 0);
    if (pidfd >= 0) close(pidfd);
    if (!plan.keepPipesOnExecError) CloseAll(outcome.parentFds);
    outcome.error = -context.errnum;
    return outcome;
  }
  if (pidfd < 0 && plan.makePidfd) {
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // 5.3; an exited child still has one
    if (pidfd < 0) {
      // Without a pidfd the exit cannot be watched: fail cleanly rather than leave an orphan zombie.
      int openErrno = errno;
      kill(pid, SIGKILL);
      int status;
      WaitExactly(pid, &status, 0);
      CloseAll(outcome.parentFds);
      outcome.error = -openErrno;
      return outcome;
    }
  }
  outcome.pid = pid;
  outcome.pidfd = pidfd;
  return outcome;
}

}  // namespace canfork::core

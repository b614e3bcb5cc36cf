// The task trial and pid namespace chains: ask the kernel itself whether a new task can be created where a
// process's next fork would create one (copy_process: threads-max, alloc_pid at every namespace level, the pids
// cgroup), with one tiny task that exits at once; and name the pid namespaces above a process (NS_GET_PARENT).
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <string>
#include <vector>

#include "addon.h"
#include "core/constants.h"
#include "core/eintr.h"

namespace canfork {
namespace {

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// Closes an fd on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct TrialOutcome {
  int errnum = 0;             // 0, or the positive errno of the step that failed
  const char* syscall = "";   // that step
  std::string path;           // the file of a failed open
  uint64_t namespaceInode = 0;
  bool enteredNamespace = false;
  int helperPid = -1;         // as this process sees it
  int namespacePid = -1;      // as the target's namespace sees it (getpid() inside)
  long pidMax = -1;           // the target namespace's kernel.pid_max, read inside it
};

// What the trial task finds: its pid inside the namespace, and the text of /proc/sys/kernel/pid_max.
struct HelperReport {
  int32_t namespacePid;
  char pidMax[28];
};

// The trial task's whole work, in raw syscalls only (it may share this process's memory: no locks, no malloc).
// /proc/sys/kernel/pid_max answers for the reader's active pid namespace (kernel/pid.c pid_table_root_lookup), and
// this task's is the target's.
// Not instrumented by AddressSanitizer: it may run on the trial task's own stack, whose frames never return.
__attribute__((no_sanitize("address"))) void FillReport(HelperReport* report) {
  report->namespacePid = static_cast<int32_t>(syscall(SYS_getpid));
  long fd = syscall(SYS_openat, AT_FDCWD, "/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  long n = syscall(SYS_read, fd, report->pidMax, sizeof report->pidMax - 1);
  report->pidMax[n > 0 ? n : 0] = '\0';
  syscall(SYS_close, fd);
}

#if defined(__x86_64__)
// x86-64: the task shares this process's memory and this thread sleeps until it exits (CLONE_VM | CLONE_VFORK),
// so nothing is copied or charged: its creation costs the same at any size of this process, and commit accounting
// (mode 2) never sees it. It starts on its own stack with no frame to return to, which no C function can express
// (glibc's clone() has no clone3 form, and CLONE_INTO_CGROUP needs clone3): the few instructions below call
// `entry` there, which never returns. Every signal is blocked by the caller, so no handler runs on shared memory.
std::mutex helperMutex;                 // one task at a time per process: the stack and report below are shared
HelperReport* volatile helperReport;    // where the task writes (this thread is asleep meanwhile)
alignas(16) char helperStack[16 * 1024];

[[noreturn]] __attribute__((no_sanitize("address"))) void SharedMemoryHelper() {
  FillReport(helperReport);
  syscall(SYS_exit, 0);
  __builtin_unreachable();
}

__attribute__((noinline)) long Clone3OnOwnStack(struct clone_args* args, void (*entry)()) {
  long result;
  asm volatile(
      "syscall\n\t"
      "testq %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xorl %%ebp, %%ebp\n\t"
      "andq $-16, %%rsp\n\t"
      "callq *%[entry]\n\t"
      "ud2\n"
      "1:"
      : "=a"(result)
      : "0"(static_cast<long>(SYS_clone3)), "D"(args), "S"(sizeof *args), [entry] "r"(entry)
      : "rcx", "r11", "memory");
  return result;
}

long CloneHelper(struct clone_args* args, HelperReport* report) {
  std::lock_guard<std::mutex> lock(helperMutex);
  helperReport = report;
  args->flags |= CLONE_VM | CLONE_VFORK;
  args->stack = reinterpret_cast<uint64_t>(helperStack);
  args->stack_size = sizeof helperStack;
  long child = Clone3OnOwnStack(args, SharedMemoryHelper);
  if (child < 0) {
    errno = static_cast<int>(-child);
    return -1;
  }
  return child;
}
#else
// Elsewhere: a plain copy of this process (no CLONE_VM), which writes its report into a pipe. The copy is of the
// page tables (a cost that grows with this process's size) and its private writable memory is charged to commit
// accounting for the moment the copy lives; an ENOMEM from it is about this process, not the target.
long CloneHelper(struct clone_args* args, HelperReport* report) {
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return -1;
  Fd readEnd(pipeFds[0]);
  Fd writeEnd(pipeFds[1]);
  long child = syscall(SYS_clone3, args, sizeof *args);
  if (child == 0) {
    HelperReport found = {};
    FillReport(&found);
    long written = syscall(SYS_write, writeEnd.get(), &found, sizeof found);
    syscall(SYS_exit_group, written == static_cast<long>(sizeof found) ? 0 : 1);
  }
  if (child < 0) return -1;
  writeEnd.Reset();
  // The copy has exited once the pipe reads EOF or the report: read until then (it writes once).
  core::RetryOnEintr([&] { return read(readEnd.get(), report, sizeof *report); });
  return child;
}
#endif

bool Fail(TrialOutcome* outcome, const char* syscallName, const std::string& path = "") {
  outcome->errnum = errno;
  outcome->syscall = syscallName;
  outcome->path = path;
  return false;
}

bool SameFile(int a, int b, uint64_t* inodeOfA) {
  struct stat first, second;
  if (fstat(a, &first) != 0 || fstat(b, &second) != 0) return false;
  *inodeOfA = first.st_ino;
  return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

// Creates the task with clone3 in the namespace this thread's pid_for_children names (and in `cgroupFd` when
// >= 0), reaps exactly it through its pidfd, and reads its report. exit_signal 0: no SIGCHLD reaches Node.
bool CreateAndReap(int cgroupFd, TrialOutcome* outcome) {
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD | (cgroupFd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = 0;
  args.cgroup = cgroupFd >= 0 ? static_cast<uint64_t>(cgroupFd) : 0;
  HelperReport report = {};
  report.namespacePid = -1;
  long child = CloneHelper(&args, &report);
  if (child < 0) return Fail(outcome, "clone3");
  Fd pidfdOwner(pidfd);
  outcome->helperPid = static_cast<int>(child);
  siginfo_t info = {};
  // __WALL: a child with exit_signal 0 is a "clone" child, which plain WEXITED does not see.
  if (core::RetryOnEintr([&] { return waitid(static_cast<idtype_t>(core::kIdTypePidfd), static_cast<id_t>(pidfd), &info, WEXITED | __WALL); }) != 0) {
    return Fail(outcome, "waitid");
  }
  outcome->namespacePid = report.namespacePid;
  char* end = nullptr;
  long value = strtol(report.pidMax, &end, 10);
  if (end != report.pidMax && value > 0) outcome->pidMax = value;
  return true;
}

bool RunTrial(int pid, const std::string& cgroupDirectory, TrialOutcome* outcome) {
  // pid_for_children, not pid: where the target's next fork lands (they differ after unshare(CLONE_NEWPID)).
  std::string targetPath = "/proc/" + std::to_string(pid) + "/ns/pid_for_children";
  Fd target(open(targetPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.get() < 0) return Fail(outcome, "open", targetPath);
  Fd own(open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
  if (own.get() < 0) return Fail(outcome, "open", "/proc/thread-self/ns/pid_for_children");
  bool sameNamespace = SameFile(target.get(), own.get(), &outcome->namespaceInode);
  Fd cgroup;
  if (!cgroupDirectory.empty()) {
    cgroup.Reset(open(cgroupDirectory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (cgroup.get() < 0) return Fail(outcome, "open", cgroupDirectory);
  }
  // Every signal blocked while the task exists (on x86-64 it runs on this memory): no handler of Node runs in it.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  bool created = false;
  if (sameNamespace) {
    created = CreateAndReap(cgroup.get(), outcome);
  } else {
    // setns(CLONE_NEWPID) changes only the calling thread's pid_for_children (its nsproxy), for good. It is done in
    // a thread made for it, which ends right after the task is reaped: no other thread of this process, Node's
    // included, ever starts a child in the target's namespace, and nothing has to be put back. The thread
    // inherits the blocked signals.
    try {
      std::thread entering([&] {
        if (setns(target.get(), CLONE_NEWPID) != 0) {
          Fail(outcome, "setns", targetPath);
          return;
        }
        outcome->enteredNamespace = true;
        created = CreateAndReap(cgroup.get(), outcome);
      });
      entering.join();
    } catch (const std::system_error& error) {
      errno = error.code().value();
      created = Fail(outcome, "pthread_create");
    }
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return created;
}

int PidArg(const Napi::CallbackInfo& info) {
  double pid = NumberArg(info, 0, "pid");
  if (!(pid >= 1 && pid <= core::kPidMaxLimit && pid == static_cast<int>(pid))) {
    throw Napi::RangeError::New(info.Env(), "argument 'pid' must be an integer from 1 to PID_MAX_LIMIT");
  }
  return static_cast<int>(pid);
}

// taskTrial(pid, cgroupDirectory) → { errno (0 or negative), syscall, path, namespace, enteredNamespace, helperPid,
// namespacePid, pidMax }. cgroupDirectory '' keeps the task in this process's cgroup.
Napi::Value TaskTrial(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = PidArg(info);
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "argument 'cgroupDirectory' must be a string");
  std::string cgroupDirectory = info[1].As<Napi::String>().Utf8Value();
  TrialOutcome outcome;
  RunTrial(pid, cgroupDirectory, &outcome);
  Napi::Object result = Napi::Object::New(env);
  result.Set("errno", Napi::Number::New(env, -outcome.errnum));
  result.Set("syscall", Napi::String::New(env, outcome.syscall));
  result.Set("path", Napi::String::New(env, outcome.path));
  result.Set("namespace", Napi::Number::New(env, static_cast<double>(outcome.namespaceInode)));
  result.Set("enteredNamespace", Napi::Boolean::New(env, outcome.enteredNamespace));
  result.Set("helperPid", Napi::Number::New(env, outcome.helperPid));
  result.Set("namespacePid", Napi::Number::New(env, outcome.namespacePid));
  result.Set("pidMax", Napi::Number::New(env, static_cast<double>(outcome.pidMax)));
  return result;
}

// pidNamespaceChain(pid) → the inodes of the pid namespaces of `pid` below this process's own, outermost first
// (level 1 first), or a negative errno. NS_GET_PARENT stops with EPERM at this process's namespace.
Napi::Value PidNamespaceChain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = "/proc/" + std::to_string(PidArg(info)) + "/ns/pid";
  Fd current(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (current.get() < 0) return Napi::Number::New(env, -errno);
  std::vector<uint64_t> innermostFirst;
  // 32 levels is the kernel's MAX_PID_NS_LEVEL: the loop is bounded even if the kernel misbehaved.
  for (int level = 0; level <= 32; level++) {
    struct stat status;
    if (fstat(current.get(), &status) != 0) return Napi::Number::New(env, -errno);
    innermostFirst.push_back(status.st_ino);
    int parent = ioctl(current.get(), NS_GET_PARENT);
    if (parent < 0) {
      if (errno != EPERM) return Napi::Number::New(env, -errno);
      break;
    }
    current.Reset(parent);
  }
  // The last one is this process's own namespace (level 0): left out.
  Napi::Array chain = Napi::Array::New(env);
  uint32_t index = 0;
  for (size_t i = innermostFirst.size(); i-- > 1;) chain.Set(index++, Napi::Number::New(env, static_cast<double>(innermostFirst[i - 1])));
  return chain;
}

}  // namespace

void InitTaskTrial(Napi::Env env, Napi::Object exports) {
  Export<TaskTrial>(env, exports, "taskTrial");
  Export<PidNamespaceChain>(env, exports, "pidNamespaceChain");
}

}  // namespace canfork

// The vfork+exec core: a plan of plain data in, a started (or cleanly failed) child out. No N-API type
// here: native/plan.cc converts the JavaScript plan, and test/native/core-test.cc drives this alone.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "constants.h"
#include "known-fd.h"
#include "string-list.h"

namespace canfork::core {

// /dev/null kept open by its owner (an addon instance) for the children's ignored 0-2: a dup2 in the
// child in place of the close and open per descriptor libuv's child makes while the caller is blocked.
// One description read-only (for 0) and one read-write (for 1-2), as libuv opens them; the children
// share them, which nothing reading or writing /dev/null can tell apart (it has no offset, no data).
// Status flags a child set on its copy (O_NONBLOCK, O_APPEND) are put back before the next spawn. A
// descriptor that no longer names the file it opened, with the access mode it opened (closed and its
// number reused behind our back), is left alone and /dev/null opened afresh. Used by one thread at a
// time; the descriptors (O_CLOEXEC, above 2) close with it.
class NullDevice {
 public:
  NullDevice() = default;
  ~NullDevice();
  NullDevice(const NullDevice&) = delete;
  NullDevice& operator=(const NullDevice&) = delete;

  // The checked descriptor for an ignored fd 0 (readWrite false) or 1-2 (true); -1 when /dev/null
  // cannot be opened (the child then opens it itself and reports why).
  int Descriptor(bool readWrite);
  // The kept descriptor, or -1: for the tests that change or replace it behind its back.
  int descriptor(bool readWrite) const { return kept_[readWrite].file.fd; }

 private:
  struct Kept {
    KnownFd file;
    int flags = 0;  // F_GETFL as opened
  };
  Kept kept_[2];
};

// Everything the child needs, as data owned by the parent, its string lists already the pointer arrays
// execve takes: the child needs no malloc and no lock.
struct SpawnPlan {
  StringList candidates;  // execve targets in PATH order
  StringList argv;        // argv[0] first; never empty
  StringList envp;        // KEY=value
  // envp unused: the child gets environ itself, as it is at the clone (what libuv's child does without
  // options->env), with no copy made per spawn.
  bool inheritEnvironment = false;
  std::string cwd;
  bool hasCwd = false;
  std::vector<int> stdio;  // index = fd number in the child: kStdioPipe, kStdioIgnore or a parent fd
  int64_t uid = -1, gid = -1;
  bool newSession = false, newProcessGroup = false;
  std::vector<int> limitResources;
  std::vector<struct rlimit> limits;
  int pdeathsig = 0;   // 0: none; else PR_SET_PDEATHSIG in the child
  int cgroupFd = -1;   // -1: the parent's cgroup; else a cgroup v2 directory fd (clone3 CLONE_INTO_CGROUP)
  // When exec fails, keep the parent ends of pipes open (libuv opens them into the caller's streams even
  // then, and they read EOF); the caller owns them.
  bool keepPipesOnExecError = false;
  // false: no pidfd is made (outcome.pidfd stays -1), for a caller that only waits for the pid (a spawnSync
  // with nothing to poll); a pidfd costs the kernel an inode and the caller a close.
  bool makePidfd = true;
  // Borrowed; null: the child opens /dev/null for each ignored 0-2, as libuv's does.
  NullDevice* nullDevice = nullptr;
};

struct SpawnOutcome {
  pid_t pid = -1;
  int pidfd = -1;
  int error = 0;               // 0, or a negative errno: then no child is left running or unreaped
  std::vector<int> parentFds;  // per target: the parent's end of a pipe, else -1
};

// Clones with CLONE_VM|CLONE_VFORK, runs the plan in the child, returns once the child has exec'd or
// failed. Never throws: every error comes back as `error` with every fd it opened closed (except the
// parent pipe ends after a failed exec with plan.keepPipesOnExecError).
SpawnOutcome SpawnChild(const SpawnPlan& plan);

// waitpid(pid, options) for exactly that pid, retried on EINTR: the pid, 0 (WNOHANG, still running) or
// a negative errno. Never -1, 0 or a negative pid: those steal statuses libuv waits for.
pid_t WaitExactly(pid_t pid, int* status, int options);

// Reaps the child `pidfd` names (waitid P_PIDFD, 5.4), so never another child that took over its pid
// after someone else reaped it: the pid, 0 (WNOHANG, still running) or a negative errno (-ECHILD: already
// reaped); `status` gets the waitpid status word. Where the kernel has no P_PIDFD (EINVAL), the fd is
// not a pidfd (EBADF) or there is none (-1), exactly that pid is waited for instead.
pid_t ReapChild(int pidfd, pid_t pid, int* status, int options);

// Signals a child of ours that has not been reaped yet: through its pidfd (pidfd_send_signal, 5.1), or
// with kill() where that system call is missing (kernels before 5.1, valgrind): an unreaped child's pid
// cannot have been reused, so kill() is as exact there. 0 or the errno.
int SignalUnreapedChild(int pidfd, pid_t pid, int signal);

}  // namespace canfork::core

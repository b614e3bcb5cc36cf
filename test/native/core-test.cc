// Drives the vfork core (native/core) without Node: real children, real fds. Built and run by
// scripts/test-core.sh (`npm run test:core`), also under AddressSanitizer and UBSan (`--sanitize`).
// Prints one line per check and exits 1 if any failed.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "../../native/core/clone3.h"
#include "../../native/core/eintr.h"
#include "../../native/core/sync-run.h"
#include "../../native/core/vfork.h"

using namespace canfork::core;

namespace {

int failures = 0;

void Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) failures++;
}

template <typename T>
void CheckEqual(const T& actual, const T& expected, const std::string& what) {
  std::ostringstream text;
  text << what << " (got " << actual << ", want " << expected << ")";
  Check(actual == expected, text.str());
}

SpawnPlan Plan(std::vector<std::string> argv) {
  SpawnPlan plan;
  plan.candidates = {argv[0]};
  plan.argv = StringList(argv);
  plan.envp = {"PATH=/usr/bin:/bin"};
  plan.stdio = {kStdioIgnore, kStdioIgnore, kStdioIgnore};
  return plan;
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got;
  while ((got = RetryOnEintr([&] { return read(fd, buffer, sizeof(buffer)); })) > 0) text.append(buffer, got);
  return text;
}

// Runs `plan` with stdout piped and returns what it printed and its status word.
std::string RunForOutput(SpawnPlan plan, int* status) {
  plan.stdio[1] = kStdioPipe;
  SyncOptions options;
  SyncResult result = RunSync(plan, options);
  *status = result.status;
  if (result.spawnError != 0) return "spawn error " + std::to_string(result.spawnError);
  return result.output[1];
}

// Children of this process (all threads), from /proc: the core must leave none behind.
std::string Children() {
  std::ifstream file("/proc/self/task/" + std::to_string(gettid()) + "/children");
  std::string text;
  std::getline(file, text);
  return text;
}

void TestTrue() {
  SpawnOutcome outcome = SpawnChild(Plan({"/bin/true"}));
  CheckEqual(outcome.error, 0, "/bin/true: started");
  Check(outcome.pid > 0 && outcome.pidfd >= 0, "/bin/true: a pid and a pidfd");
  int status = 0;
  CheckEqual(WaitExactly(outcome.pid, &status, 0), outcome.pid, "/bin/true: reaped by its pid");
  Check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "/bin/true: exit 0");
  close(outcome.pidfd);
}

// A plan without makePidfd (spawnSync with nothing to poll): no pidfd, and ReapChild waits for the pid.
void TestWithoutPidfd() {
  SpawnPlan plan = Plan({"/bin/sh", "-c", "exit 5"});
  plan.makePidfd = false;
  SpawnOutcome outcome = SpawnChild(plan);
  CheckEqual(outcome.error, 0, "without makePidfd: started");
  CheckEqual(outcome.pidfd, -1, "without makePidfd: no pidfd");
  int status = 0;
  CheckEqual(ReapChild(outcome.pidfd, outcome.pid, &status, 0), outcome.pid, "without makePidfd: ReapChild reaps the pid");
  Check(WIFEXITED(status) && WEXITSTATUS(status) == 5, "without makePidfd: its status word");
  SyncOptions options;
  Check(WaitsOnlyForExit(plan, options), "WaitsOnlyForExit: stdio ignored, no timeout");
  SyncResult result = RunSync(plan, options);
  Check(result.spawnError == 0 && WIFEXITED(result.status) && WEXITSTATUS(result.status) == 5, "RunSync without a pidfd: the status word");
  options.timeoutMs = 1000;
  Check(!WaitsOnlyForExit(plan, options), "WaitsOnlyForExit: not with a timeout");
  options.timeoutMs = 0;
  plan.stdio[1] = kStdioPipe;
  Check(!WaitsOnlyForExit(plan, options), "WaitsOnlyForExit: not with a pipe");
  CheckEqual(Children(), std::string(), "without makePidfd: nothing left unreaped");
}

// ReapChild gives waitpid's status word from waitid's siginfo, and -ECHILD (not another child's status)
// once someone else has reaped the child.
void TestReapChild() {
  struct Case { std::vector<std::string> argv; bool exited; int value; };
  for (const Case& expected : {Case{{"/bin/sh", "-c", "exit 3"}, true, 3}, Case{{"/bin/sh", "-c", "kill -TERM $$"}, false, SIGTERM}}) {
    SpawnOutcome child = SpawnChild(Plan(expected.argv));
    int status = -1;
    pid_t reaped;
    while ((reaped = ReapChild(child.pidfd, child.pid, &status, WNOHANG)) == 0) usleep(1000);
    CheckEqual(reaped, child.pid, "ReapChild: the child's pid once it has exited");
    bool same = expected.exited ? WIFEXITED(status) && WEXITSTATUS(status) == expected.value
                                : WIFSIGNALED(status) && WTERMSIG(status) == expected.value && !WCOREDUMP(status);
    Check(same, "ReapChild: the status word waitpid gives (" + expected.argv.back() + ")");
    close(child.pidfd);
  }
  SpawnOutcome child = SpawnChild(Plan({"/bin/true"}));
  int status = 0;
  CheckEqual(WaitExactly(child.pid, &status, 0), child.pid, "ReapChild: reaped by its pid first");
  CheckEqual(ReapChild(child.pidfd, child.pid, &status, WNOHANG), -ECHILD, "ReapChild of a child reaped elsewhere: -ECHILD");
  close(child.pidfd);
}

void TestMissing() {
  SpawnOutcome outcome = SpawnChild(Plan({"/nonexistent/program"}));
  CheckEqual(outcome.error, -ENOENT, "missing program: -ENOENT");
  CheckEqual(outcome.pid, -1, "missing program: no pid");
  CheckEqual(Children(), std::string(), "missing program: the failed child was reaped");
  SpawnPlan plan = Plan({"true"});
  plan.candidates = {"/nonexistent/a/true", "/etc/passwd/true", "/bin/true"};
  int status = 0;
  SyncResult result = RunSync(plan, SyncOptions());
  Check(result.spawnError == 0 && WIFEXITED(result.status), "PATH order: past ENOENT and ENOTDIR to /bin/true");
  (void)status;
  SpawnPlan badCwd = Plan({"/bin/true"});
  badCwd.cwd = "/nonexistent";
  badCwd.hasCwd = true;
  CheckEqual(SpawnChild(badCwd).error, -ENOENT, "missing cwd: -ENOENT from the child's chdir");
  CheckEqual(WaitExactly(0, &status, WNOHANG), -EINVAL, "WaitExactly refuses pid 0");
  CheckEqual(WaitExactly(-1, &status, WNOHANG), -EINVAL, "WaitExactly refuses pid -1");
}

void TestEnoexec(const std::string& scratch) {
  std::string script = scratch + "/no-shebang";
  {
    std::ofstream file(script);
    file << "echo \"$0 $1 $2\"\n";
  }
  chmod(script.c_str(), 0755);
  int status = 0;
  std::string output = RunForOutput(Plan({script, "a", "b c"}), &status);
  CheckEqual(output, script + " a b c\n", "ENOEXEC: run by /bin/sh as [sh, candidate, args]");
  Check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ENOEXEC: exit 0");
}

void TestFdArrangement() {
  // Parent fds 8 and 9 hold the write ends of pipes A and B; the child gets them swapped. Placing fd 8
  // first would clobber the source of fd 9 (dash redirects only 0-9) without the move above the stdio count.
  int a[2], b[2];
  if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) return Check(false, "pipes");
  if (fcntl(8, F_GETFD) != -1 || fcntl(9, F_GETFD) != -1) return Check(false, "fds 8 and 9 are free");
  dup3(a[1], 8, O_CLOEXEC);
  dup3(b[1], 9, O_CLOEXEC);
  SpawnPlan plan = Plan({"/bin/sh", "-c", "echo eight >&8; echo nine >&9"});
  plan.stdio.assign(10, kStdioIgnore);
  plan.stdio[8] = 9;
  plan.stdio[9] = 8;
  SyncResult result = RunSync(plan, SyncOptions());
  for (int fd : {a[1], b[1], 8, 9}) close(fd);
  CheckEqual(ReadAll(a[0]), std::string("nine\n"), "fd swap: fd 9 of the child is our fd 8");
  CheckEqual(ReadAll(b[0]), std::string("eight\n"), "fd swap: fd 8 of the child is our fd 9");
  Check(result.spawnError == 0 && WIFEXITED(result.status), "fd swap: the child ran");
  close(a[0]);
  close(b[0]);

  // A non-blocking fd handed over as 0 arrives blocking; as 3 it keeps O_NONBLOCK (libuv's rule).
  int nonblocking = open("/dev/zero", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int alsoNonblocking = open("/dev/zero", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  SpawnPlan flags = Plan({"/bin/sh", "-c", "grep ^flags: /proc/$$/fdinfo/0 /proc/$$/fdinfo/3 | cut -f2"});
  flags.stdio = {nonblocking, kStdioPipe, kStdioIgnore, alsoNonblocking};
  SyncResult seen = RunSync(flags, SyncOptions());
  std::istringstream lines(seen.output[1]);
  unsigned long zero = 0, three = 0;
  lines >> std::oct >> zero >> three;
  CheckEqual(zero & O_NONBLOCK, 0UL, "fd 0 handed over: O_NONBLOCK cleared");
  CheckEqual(three & O_NONBLOCK, static_cast<unsigned long>(O_NONBLOCK), "fd 3 handed over: O_NONBLOCK kept");
  close(nonblocking);
  close(alsoNonblocking);

  // Ignored 0-2 are /dev/null, 0 read-only and 1-2 read-write.
  SpawnPlan devNull = Plan({"/bin/sh", "-c", "r=$(for fd in 0 1 2; do grep ^flags: /proc/$$/fdinfo/$fd | cut -f2; done); echo \"$r\" >&3"});
  devNull.stdio = {kStdioIgnore, kStdioIgnore, kStdioIgnore, kStdioPipe};
  SyncResult modes = RunSync(devNull, SyncOptions());
  std::istringstream modeLines(modes.output[3]);
  unsigned long in = 9, out = 9, err = 9;
  modeLines >> std::oct >> in >> out >> err;
  Check((in & O_ACCMODE) == O_RDONLY && (out & O_ACCMODE) == O_RDWR && (err & O_ACCMODE) == O_RDWR,
        "ignored 0-2: /dev/null O_RDONLY, O_RDWR, O_RDWR");
}

void TestPdeathsig() {
  // This process becomes a subreaper, so the orphaned grandchild is reparented here and can be waited.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Check(false, "pipe");
  pid_t middle = fork();  // the test's own process, not the core: the parent that will die
  if (middle == 0) {
    SpawnPlan plan = Plan({"/bin/sleep", "30"});
    plan.pdeathsig = SIGUSR1;
    SpawnOutcome outcome = SpawnChild(plan);
    RetryOnEintr([&] { return write(report[1], &outcome.pid, sizeof(outcome.pid)); });
    _exit(0);
  }
  close(report[1]);
  pid_t grandchild = -1;
  RetryOnEintr([&] { return read(report[0], &grandchild, sizeof(grandchild)); });
  close(report[0]);
  int status = 0;
  WaitExactly(middle, &status, 0);
  Check(grandchild > 0, "pdeathsig: the grandchild started");
  if (grandchild <= 0) return;
  CheckEqual(WaitExactly(grandchild, &status, 0), grandchild, "pdeathsig: the orphan is reparented to us");
  Check(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1, "pdeathsig: it died of SIGUSR1 when its parent exited");
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

void TestSupervision() {
  SpawnPlan stopped = Plan({"/bin/sh", "-c", "kill -STOP $$"});
  SyncOptions timeout;
  timeout.timeoutMs = 50;
  SyncResult result = RunSync(stopped, timeout);
  CheckEqual(result.error, -ETIMEDOUT, "timeout: -ETIMEDOUT");
  Check(WIFSIGNALED(result.status) && WTERMSIG(result.status) == SIGTERM, "timeout: a stopped child dies of SIGTERM (SIGCONT follows)");

  SpawnPlan chatty = Plan({"/bin/sh", "-c", "while :; do echo yes; done"});
  chatty.stdio[1] = kStdioPipe;
  SyncOptions small;
  small.maxBuffer = 100;
  SyncResult flooded = RunSync(chatty, small);
  CheckEqual(flooded.error, -ENOBUFS, "maxBuffer: -ENOBUFS");
  Check(flooded.output[1].size() > 100, "maxBuffer: the output past the limit is kept");

  SpawnPlan echo = Plan({"/bin/cat"});
  echo.stdio = {kStdioPipe, kStdioPipe, kStdioIgnore};
  const std::string input(200000, 'x');
  SyncOptions withInput;
  withInput.input = reinterpret_cast<const uint8_t*>(input.data());
  withInput.inputLength = input.size();
  SyncResult echoed = RunSync(echo, withInput);
  Check(echoed.output[1] == input, "input: 200000 bytes through cat and back");
}

void TestCgroupRefused() {
  SpawnPlan plan = Plan({"/bin/true"});
  plan.cgroupFd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  SpawnOutcome outcome = SpawnChild(plan);
  Check(outcome.error < 0 && outcome.pid == -1, "cgroupFd that is no cgroup: a negative errno (" + std::to_string(outcome.error) + "), no child");
  close(plan.cgroupFd);
}

void IgnoreOrCatch() {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGRTMIN + 3, SIG_IGN);
  signal(SIGRTMIN + 4, [](int) {});
  signal(SIGUSR1, [](int) {});
  signal(SIGTERM, [](int) {});
}

// clone3 answers ENOSYS from here on, as under Docker's default seccomp profile. False if no filter.
bool RefuseClone3() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 435, 0, 1),  // __NR_clone3 on x86-64 and arm64
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// The lines of a child's /proc/self/status (the plan runs cat on it) that start with one of `keys`.
std::string ChildStatusLines(const SpawnPlan& plan, std::initializer_list<const char*> keys) {
  int status = 0;
  std::istringstream lines(RunForOutput(plan, &status));
  std::string found;
  for (std::string line; std::getline(lines, line);) {
    for (const char* key : keys) {
      if (line.rfind(key, 0) == 0) found += line + "\n";
    }
  }
  return found;
}

// Runs `body` in a fork()ed copy of this process, so that what it changes (signal dispositions, seccomp)
// stays there, and returns the text it returned.
std::string InForkedCopy(const std::function<std::string()>& body) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return "pipe failed";
  pid_t tester = fork();
  if (tester == 0) {
    std::string text = body();
    (void)!write(report[1], text.data(), text.size());
    _exit(0);
  }
  close(report[1]);
  std::string text = ReadAll(report[0]);
  close(report[0]);
  int status = 0;
  WaitExactly(tester, &status, 0);
  return text;
}

// What a child starts with while this process ignores and catches signals: no handler, nothing blocked,
// and of the ignored signals only the real-time one left ignored, as libuv's child leaves it for
// child_process; with clone3 (CLONE_CLEAR_SIGHAND, only the ignored signals reset by the child) and, in a
// forked copy of this process where a seccomp filter refuses clone3, with clone() and a query per signal.
void TestSignalDispositions() {
  char ignored[32];
  std::snprintf(ignored, sizeof(ignored), "%016llx", 1ULL << (SIGRTMIN + 3 - 1));
  const std::string expected = "SigBlk:\t0000000000000000\nSigIgn:\t" + std::string(ignored) + "\nSigCgt:\t0000000000000000\n";
  SpawnPlan plan = Plan({"/bin/cat", "/proc/self/status"});  // not grep: it catches SIGSEGV itself
  for (bool refuseClone3 : {false, true}) {
    std::string what = refuseClone3 ? "with clone3 refused" : "as the kernel allows";
    std::string seen = InForkedCopy([&] {
      IgnoreOrCatch();
      if (refuseClone3 && !RefuseClone3()) return std::string("no seccomp filter");
      return ChildStatusLines(plan, {"SigBlk:", "SigIgn:", "SigCgt:"});
    });
    if (seen == "no seccomp filter") {
      std::printf("skip signal dispositions %s: no seccomp filter here\n", what.c_str());
      continue;
    }
    CheckEqual(seen, expected, "signal dispositions " + what);
  }
}

// A signal ignored between two spawns is reset in the second child too: nothing about the dispositions is
// kept from one spawn to the next.
void TestIgnoredBetweenSpawns() {
  const std::string none = "SigIgn:\t0000000000000000\n";
  std::string seen = InForkedCopy([] {
    SpawnPlan plan = Plan({"/bin/cat", "/proc/self/status"});
    std::string lines = ChildStatusLines(plan, {"SigIgn:"});
    signal(SIGUSR2, SIG_IGN);
    return lines + ChildStatusLines(plan, {"SigIgn:"});
  });
  CheckEqual(seen, none + none, "a signal ignored after the first spawn: reset in the second child");
}

// What a child with 0-2 ignored finds there: each fd's target and its flags, one line each.
std::string IgnoredStdio(NullDevice* nullDevice) {
  SpawnPlan plan = Plan({"/bin/sh", "-c", "r=$(for fd in 0 1 2; do readlink /proc/$$/fd/$fd; grep ^flags: /proc/$$/fdinfo/$fd | cut -f2; done); echo \"$r\" >&3"});
  plan.stdio = {kStdioIgnore, kStdioIgnore, kStdioIgnore, kStdioPipe};
  plan.nullDevice = nullDevice;
  SyncResult run = RunSync(plan, SyncOptions());
  if (run.spawnError != 0) return "spawn failed: " + std::to_string(run.spawnError);
  std::string seen = run.output[3];
  std::replace(seen.begin(), seen.end(), '\n', ' ');
  return seen;
}

// A kept NullDevice gives the children what a /dev/null opened in each child gives (libuv's way): after
// a child's F_SETFL on the shared description (done here on the kept descriptor), and after the kept
// number was closed and reused for another file, which stays open and untouched. Kept above 0-2 when this
// process has none of them open.
void TestKeptNullDevice(const std::string& scratch) {
  const std::string fresh = IgnoredStdio(nullptr);
  Check(fresh.find("/dev/null ") == 0, "ignored 0-2 without a kept /dev/null: " + fresh);
  NullDevice nullDevice;
  CheckEqual(IgnoredStdio(&nullDevice), fresh, "kept /dev/null: the same 0-2");
  int readOnly = nullDevice.descriptor(false), readWrite = nullDevice.descriptor(true);
  Check(readOnly > 2 && readWrite > 2, "kept /dev/null: two descriptors above 2");
  CheckEqual(IgnoredStdio(&nullDevice), fresh, "kept /dev/null: the same 0-2 again");
  Check(nullDevice.descriptor(false) == readOnly && nullDevice.descriptor(true) == readWrite, "kept /dev/null: reused, not reopened");

  fcntl(readWrite, F_SETFL, O_NONBLOCK | O_APPEND);
  fcntl(readOnly, F_SETFL, O_NONBLOCK);
  CheckEqual(IgnoredStdio(&nullDevice), fresh, "kept /dev/null: status flags a child set are put back");
  CheckEqual(nullDevice.descriptor(true), readWrite, "kept /dev/null: still the same descriptor");

  std::string path = scratch + "/not-null";
  int other = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  bool replaced = other >= 0 && dup3(other, readWrite, O_CLOEXEC) == readWrite;
  if (other >= 0) close(other);
  CheckEqual(IgnoredStdio(&nullDevice), fresh, std::string(replaced ? "" : "(not replaced) ") + "kept /dev/null replaced behind its back: /dev/null again");
  char target[256] = {};
  Check(readlink(("/proc/self/fd/" + std::to_string(readWrite)).c_str(), target, sizeof(target) - 1) > 0 && path == target,
        "kept /dev/null replaced behind its back: the other file left open");
  Check(nullDevice.descriptor(true) > 2 && nullDevice.descriptor(true) != readWrite, "kept /dev/null replaced behind its back: opened afresh");
  close(readWrite);

  std::string withoutStdio = InForkedCopy([] {
    for (int fd = 0; fd <= 2; fd++) close(fd);
    NullDevice unopened;
    int kept = unopened.Descriptor(false);
    return std::to_string(kept > 2) + std::to_string(fcntl(0, F_GETFD) == -1);
  });
  CheckEqual(withoutStdio, std::string("11"), "kept /dev/null with 0-2 closed: kept above 2, 0 left closed");
}

}  // namespace

int main() {
  char scratchTemplate[] = "/tmp/canfork-core-XXXXXX";
  std::string scratch = mkdtemp(scratchTemplate);
  TestTrue();
  TestWithoutPidfd();
  TestReapChild();
  TestMissing();
  TestEnoexec(scratch);
  TestFdArrangement();
  TestPdeathsig();
  TestSupervision();
  TestCgroupRefused();
  TestSignalDispositions();
  TestIgnoredBetweenSpawns();
  TestKeptNullDevice(scratch);
  CheckEqual(Children(), std::string(), "no child left behind");
  std::system(("rm -rf " + scratch).c_str());
  std::printf("%s: %d failed\n", failures == 0 ? "core-test passed" : "core-test FAILED", failures);
  return failures == 0 ? 0 : 1;
}

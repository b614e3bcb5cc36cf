// The spawnSync loop. On a timeout or maxBuffer the child is sent the kill signal and then SIGCONT (a
// stopped child acts on it), the cgroup is killed when asked, and from then on only its exit is waited
// for: the pipes are closed, as Node's SyncProcessRunner::Kill does, so a grandchild holding them
// cannot hang the caller.
#include "sync-run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "eintr.h"

namespace canfork::core {
namespace {

int64_t NowMs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

struct Run {
  const SyncOptions& options;
  SpawnOutcome child;
  SyncResult& result;
  size_t inputWritten = 0;
  bool reaped = false, killed = false, forceKilled = false;
  int64_t forceKillAtMs = 0;
};

// A group kill reaches grandchildren even after the leader is reaped; a single process is signalled
// through its pidfd, which cannot hit a recycled pid. 0 or the errno.
int SendSignal(Run& run, int signal) {
  if (run.options.killGroup) return kill(-run.child.pid, signal) == 0 ? 0 : errno;
  if (run.reaped) return ESRCH;
  return SignalUnreapedChild(run.child.pidfd, run.child.pid, signal);
}

void KillCgroup(Run& run) {
  if (run.options.cgroupKillFd < 0) return;
  RetryOnEintr([&] { return pwrite(run.options.cgroupKillFd, "1", 1, 0); });
}

void Kill(Run& run, int error) {
  if (run.killed) return;
  run.killed = true;
  if (run.result.error == 0) run.result.error = error;
  KillCgroup(run);
  int sent = SendSignal(run, run.options.killSignal);
  if (sent != 0 && sent != ESRCH) {
    // Node's rule: a signal the kernel refuses is the error, and SIGKILL goes instead.
    run.result.error = -sent;
    SendSignal(run, SIGKILL);
  } else if (sent == 0 && run.options.killSignal != SIGCONT && run.options.killSignal != SIGKILL) {
    SendSignal(run, SIGCONT);
  }
  if (run.options.forceKillAfterMs >= 0) run.forceKillAtMs = NowMs() + run.options.forceKillAfterMs;
  for (int& fd : run.child.parentFds) CloseFd(fd);
}

void ForceKill(Run& run) {
  run.forceKilled = true;
  KillCgroup(run);
  SendSignal(run, SIGKILL);
}

void ReapIfExited(Run& run) {
  pid_t reaped = ReapChild(run.child.pidfd, run.child.pid, &run.result.status, WNOHANG);
  if (reaped != 0) run.reaped = true;  // < 0 (ECHILD) cannot be waited any more either
}

void ServicePipe(Run& run, size_t index, short revents) {
  int& fd = run.child.parentFds[index];
  if (index == 0) {
    if (revents & (POLLERR | POLLHUP)) return CloseFd(fd);
    ssize_t written = RetryOnEintr([&] {
      return send(fd, run.options.input + run.inputWritten, run.options.inputLength - run.inputWritten, MSG_NOSIGNAL);
    });
    if (written > 0) run.inputWritten += static_cast<size_t>(written);
    if ((written < 0 && errno != EAGAIN) || run.inputWritten == run.options.inputLength) CloseFd(fd);
    return;
  }
  char buffer[65536];
  ssize_t got = RetryOnEintr([&] { return read(fd, buffer, sizeof(buffer)); });
  if (got < 0 && errno == EAGAIN) return;
  if (got <= 0) return CloseFd(fd);
  std::string& output = run.result.output[index];
  output.append(buffer, static_cast<size_t>(got));
  if (static_cast<double>(output.size()) > run.options.maxBuffer) Kill(run, -ENOBUFS);
}

// How long poll may sleep: until the timeout, then until the force kill; -1 when neither is pending.
int PollWaitMs(const Run& run, int64_t deadline) {
  int64_t until = 0;
  if (!run.killed && deadline != 0) until = deadline;
  if (run.killed && run.forceKillAtMs != 0 && !run.forceKilled && !run.reaped) until = run.forceKillAtMs;
  if (until == 0) return -1;
  return static_cast<int>(std::clamp<int64_t>(until - NowMs(), 0, 1 << 30));
}

void Loop(Run& run) {
  const int64_t deadline = run.options.timeoutMs > 0 ? NowMs() + run.options.timeoutMs : 0;
  std::vector<int>& fds = run.child.parentFds;
  if (!fds.empty() && fds[0] >= 0 && run.options.inputLength == 0) CloseFd(fds[0]);
  for (int fd : fds) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  std::vector<struct pollfd> polled;
  std::vector<size_t> indexes;
  for (;;) {
    bool pipesOpen = std::any_of(fds.begin(), fds.end(), [](int fd) { return fd >= 0; });
    if (run.reaped && !pipesOpen) return;
    int waitMs = PollWaitMs(run, deadline);
    if (!pipesOpen && waitMs < 0) {
      // Only the exit is left, with no timer: waited for in the wait itself (a poll first costs a system
      // call and a wake-up more, and a plan without makePidfd has nothing to poll).
      ReapChild(run.child.pidfd, run.child.pid, &run.result.status, 0);
      run.reaped = true;
      return;
    }
    polled.clear();
    indexes.clear();
    if (!run.reaped) polled.push_back({run.child.pidfd, POLLIN, 0});
    for (size_t i = 0; i < fds.size(); i++) {
      if (fds[i] < 0) continue;
      polled.push_back({fds[i], static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0});
      indexes.push_back(i);
    }
    int ready = RetryOnEintr([&] { return poll(polled.data(), polled.size(), waitMs); });
    if (ready < 0) return;  // cannot happen with valid fds; do not spin
    int64_t now = NowMs();
    if (deadline != 0 && !run.killed && now >= deadline) {
      Kill(run, -ETIMEDOUT);
      continue;
    }
    if (run.killed && run.forceKillAtMs != 0 && !run.forceKilled && !run.reaped && now >= run.forceKillAtMs) {
      ForceKill(run);
    }
    if (ready == 0) continue;
    size_t first = run.reaped ? 0 : 1;
    if (!run.reaped && polled[0].revents) ReapIfExited(run);
    for (size_t i = first; i < polled.size(); i++) {
      if (polled[i].revents && fds[indexes[i - first]] >= 0) ServicePipe(run, indexes[i - first], polled[i].revents);
    }
  }
}

}  // namespace

bool WaitsOnlyForExit(const SpawnPlan& plan, const SyncOptions& options) {
  return options.timeoutMs <= 0 && std::none_of(plan.stdio.begin(), plan.stdio.end(), [](int spec) { return spec == kStdioPipe; });
}

SyncResult RunSync(const SpawnPlan& plan, const SyncOptions& options) {
  SyncResult result;
  Run run{options, SpawnChild(plan), result};
  if (run.child.error != 0) {
    result.spawnError = run.child.error;
    return result;
  }
  result.pid = run.child.pid;
  result.output.resize(plan.stdio.size());
  Loop(run);
  for (int& fd : run.child.parentFds) CloseFd(fd);
  if (!run.reaped) ReapChild(run.child.pidfd, run.child.pid, &result.status, 0);  // poll failed: still wait for exactly it
  CloseFd(run.child.pidfd);
  return result;
}

}  // namespace canfork::core

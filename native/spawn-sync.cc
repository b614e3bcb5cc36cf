// spawnSync: the same vfork+exec, then one blocking poll() loop over the child's pipes and its pidfd,
// as libuv's spawn_sync does for child_process.spawnSync: input in, output out, timeout, maxBuffer.
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
#include <cmath>

#include "spawn.h"

namespace canfork {
namespace {

int64_t NowMs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

struct SyncRun {
  SpawnOutcome child;
  const uint8_t* input = nullptr;
  size_t inputLength = 0, inputWritten = 0;
  std::vector<std::string> output;  // per stdio index
  size_t outputBytes = 0;
  bool reaped = false, killed = false;
  int status = 0;
  int error = 0;  // ETIMEDOUT or ENOBUFS
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// A group kill reaches grandchildren even after the leader is reaped; a single process is signalled
// through its pidfd, which cannot hit a recycled pid.
void KillChild(SyncRun& run, int signal, bool killGroup) {
  if (killGroup) {
    kill(-run.child.pid, signal);
  } else if (!run.reaped) {
    syscall(SYS_pidfd_send_signal, run.child.pidfd, signal, nullptr, 0);
  }
  run.killed = true;
  // As libuv's uv__spawn_sync: once killed, stop waiting for the pipes, only for the exit.
  for (int& fd : run.child.parentFds) CloseFd(fd);
}

void ReapIfExited(SyncRun& run) {
  pid_t reaped;
  do {
    reaped = waitpid(run.child.pid, &run.status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != 0) run.reaped = true;  // < 0 (ECHILD) cannot be waited any more either
}

void ServicePipe(SyncRun& run, size_t index, short revents, double maxBuffer, int killSignal, bool killGroup) {
  int& fd = run.child.parentFds[index];
  if (index == 0) {
    if (revents & (POLLERR | POLLHUP)) return CloseFd(fd);
    ssize_t written = send(fd, run.input + run.inputWritten, run.inputLength - run.inputWritten, MSG_NOSIGNAL);
    if (written > 0) run.inputWritten += static_cast<size_t>(written);
    if ((written < 0 && errno != EAGAIN && errno != EINTR) || run.inputWritten == run.inputLength) CloseFd(fd);
    return;
  }
  char buffer[65536];
  ssize_t got = read(fd, buffer, sizeof(buffer));
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0) return CloseFd(fd);
  run.output[index].append(buffer, static_cast<size_t>(got));
  run.outputBytes += static_cast<size_t>(got);
  if (static_cast<double>(run.output[index].size()) > maxBuffer && !run.killed) {
    run.error = ENOBUFS;
    KillChild(run, killSignal, killGroup);
  }
}

void RunLoop(SyncRun& run, int64_t timeoutMs, int killSignal, bool killGroup, double maxBuffer) {
  const int64_t deadline = timeoutMs > 0 ? NowMs() + timeoutMs : 0;
  std::vector<int>& fds = run.child.parentFds;
  if (!fds.empty() && fds[0] >= 0 && run.inputLength == 0) CloseFd(fds[0]);
  for (int fd : fds) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  std::vector<struct pollfd> polled;
  std::vector<size_t> indexes;
  for (;;) {
    bool pipesOpen = false;
    for (int fd : fds) pipesOpen = pipesOpen || fd >= 0;
    if (run.reaped && !pipesOpen) return;
    polled.clear();
    indexes.clear();
    if (!run.reaped) polled.push_back({run.child.pidfd, POLLIN, 0});
    for (size_t i = 0; i < fds.size(); i++) {
      if (fds[i] < 0) continue;
      polled.push_back({fds[i], static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0});
      indexes.push_back(i);
    }
    int waitMs = -1;
    if (deadline != 0 && !run.killed) waitMs = static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
    int ready = poll(polled.data(), polled.size(), waitMs);
    if (ready < 0 && errno != EINTR) return;  // cannot happen with valid fds; do not spin
    if (deadline != 0 && !run.killed && NowMs() >= deadline) {
      run.error = ETIMEDOUT;
      KillChild(run, killSignal, killGroup);
      continue;
    }
    if (ready <= 0) continue;
    size_t first = run.reaped ? 0 : 1;
    if (!run.reaped && polled[0].revents) ReapIfExited(run);
    for (size_t i = first; i < polled.size(); i++) {
      if (polled[i].revents && fds[indexes[i - first]] >= 0) {
        ServicePipe(run, indexes[i - first], polled[i].revents, maxBuffer, killSignal, killGroup);
      }
    }
  }
}

// spawnSync(plan, input, timeoutMs, killSignal, killGroup, maxBuffer)
//   -> { errno } when nothing ran, else { pid, status: [kind, value, core], output, error }
Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan = ReadSpawnPlan(env, info[0]);
  SyncRun run;
  if (info[1].IsBuffer()) {
    run.input = info[1].As<Napi::Buffer<uint8_t>>().Data();
    run.inputLength = info[1].As<Napi::Buffer<uint8_t>>().Length();
  }
  int64_t timeoutMs = static_cast<int64_t>(NumberArg(info, 2, "timeoutMs"));
  int killSignal = static_cast<int>(NumberArg(info, 3, "killSignal"));
  bool killGroup = BoolArg(info, 4, "killGroup");
  double maxBuffer = NumberArg(info, 5, "maxBuffer");

  run.child = SpawnChild(plan);
  Napi::Object result = Napi::Object::New(env);
  if (run.child.errnum != 0) {
    for (int& fd : run.child.parentFds) CloseFd(fd);
    result.Set("errno", Napi::Number::New(env, run.child.errnum));
    return result;
  }
  run.output.resize(plan.stdio.size());
  RunLoop(run, timeoutMs, killSignal, killGroup, maxBuffer);
  for (int& fd : run.child.parentFds) CloseFd(fd);
  if (!run.reaped) {  // poll failed: still wait for exactly this child
    while (waitpid(run.child.pid, &run.status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(run.child.pidfd);

  Napi::Array output = Napi::Array::New(env, plan.stdio.size());
  for (uint32_t i = 0; i < plan.stdio.size(); i++) {
    bool readable = i > 0 && plan.stdio[i] == kStdioPipe;
    output.Set(i, readable ? Napi::Buffer<char>::Copy(env, run.output[i].data(), run.output[i].size()).As<Napi::Value>()
                           : env.Null());
  }
  result.Set("pid", Napi::Number::New(env, run.child.pid));
  result.Set("status", WaitStatusToJs(env, run.status));
  result.Set("output", output);
  result.Set("error", Napi::Number::New(env, run.error));
  return result;
}

}  // namespace

void InitSpawnSync(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnSync", Napi::Function::New(env, SpawnSync, "spawnSync"));
}

}  // namespace canfork

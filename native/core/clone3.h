// clone3 with a function to run on the child's own stack: glibc has no public wrapper for it, and a raw
// syscall() cannot switch stacks safely (the child would return into the parent's frames).
#pragma once

#include <linux/sched.h>
#include <sched.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#if defined(__x86_64__)
#define CANFORK_HAS_CLONE3_TRAMPOLINE 1
#else
#define CANFORK_HAS_CLONE3_TRAMPOLINE 0
#endif

namespace canfork::core {

#if CANFORK_HAS_CLONE3_TRAMPOLINE
// The parent gets the child's pid or a negative errno straight from the kernel; the child runs
// fn(arg) on args->stack and exits with its result, never returning here.
long Clone3(struct clone_args* args, int (*fn)(void*), void* arg);
#endif

}  // namespace canfork::core

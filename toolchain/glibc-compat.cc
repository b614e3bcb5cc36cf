// Link-time compatibility with glibc 2.28 (Debian 10, Ubuntu 20.04 has 2.31, RHEL 8) for a binary built
// with a newer toolchain. Part of the build configuration, not of the addon: nothing here is called by
// name. binding.gyp and CMakeLists.txt link it with -Wl,--wrap=NAME for each function below, so every
// reference (ours, and those of the statically linked libstdc++) binds to the function's oldest version,
// which every glibc since 2.17 exports (libc, or libpthread/libdl that Node itself loads on those
// systems). The two symbols glibc 2.28 lacks entirely are given here without glibc.
#include <features.h>  // defines __GLIBC__ (on glibc)
#if defined(__linux__) && defined(__GLIBC__)
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CANFORK_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define CANFORK_GLIBC_BASE "GLIBC_2.17"
#else
#error "no glibc base version known for this architecture"
#endif

#define CANFORK_OLD(name) __asm__(".symver canfork_old_" #name ", " #name "@" CANFORK_GLIBC_BASE)

extern "C" {
int canfork_old_pthread_sigmask(int, const sigset_t*, sigset_t*);
int canfork_old_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int canfork_old_pthread_detach(pthread_t);
int canfork_old_pthread_join(pthread_t, void**);
int canfork_old_pthread_once(pthread_once_t*, void (*)(void));
int canfork_old___pthread_key_create(pthread_key_t*, void (*)(void*));
void* canfork_old_dlopen(const char*, int);
int canfork_old_dladdr(const void*, Dl_info*);
CANFORK_OLD(pthread_sigmask);
CANFORK_OLD(pthread_create);
CANFORK_OLD(pthread_detach);
CANFORK_OLD(pthread_join);
CANFORK_OLD(pthread_once);
CANFORK_OLD(__pthread_key_create);
CANFORK_OLD(dlopen);
CANFORK_OLD(dladdr);

#define CANFORK_HIDDEN __attribute__((visibility("hidden")))
CANFORK_HIDDEN int __wrap_pthread_sigmask(int how, const sigset_t* set, sigset_t* old) {
  return canfork_old_pthread_sigmask(how, set, old);
}
CANFORK_HIDDEN int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  return canfork_old_pthread_create(thread, attr, start, arg);
}
CANFORK_HIDDEN int __wrap_pthread_detach(pthread_t thread) { return canfork_old_pthread_detach(thread); }
CANFORK_HIDDEN int __wrap_pthread_join(pthread_t thread, void** result) { return canfork_old_pthread_join(thread, result); }
CANFORK_HIDDEN int __wrap_pthread_once(pthread_once_t* once, void (*init)(void)) { return canfork_old_pthread_once(once, init); }
CANFORK_HIDDEN int __wrap___pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  return canfork_old___pthread_key_create(key, destructor);
}
CANFORK_HIDDEN void* __wrap_dlopen(const char* file, int mode) { return canfork_old_dlopen(file, mode); }
CANFORK_HIDDEN int __wrap_dladdr(const void* address, Dl_info* info) { return canfork_old_dladdr(address, info); }

// libstdc++'s std::random_device calls arc4random (glibc 2.36): the getrandom system call instead.
CANFORK_HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value = 0;
  for (;;) {
    long got = syscall(SYS_getrandom, &value, sizeof value, 0);
    if (got == static_cast<long>(sizeof value)) return value;
    if (got < 0 && errno != EINTR) return 0;
  }
}

// fstat became a real exported function in glibc 2.33 (fstat64@GLIBC_2.33); before, <sys/stat.h> inlined a
// call to __fxstat64. The system call itself, on 64-bit, fills the same struct stat glibc declares.
struct stat;
CANFORK_HIDDEN int __wrap_fstat64(int fd, struct stat* status) { return static_cast<int>(syscall(SYS_fstat, fd, status)); }
CANFORK_HIDDEN int __wrap_fstat(int fd, struct stat* status) { return static_cast<int>(syscall(SYS_fstat, fd, status)); }

// libstdc++ reads glibc 2.32's __libc_single_threaded to skip atomics in a single-threaded process. A
// hidden definition of our own, always 0 ("threads may exist"), keeps every atomic.
CANFORK_HIDDEN char __libc_single_threaded = 0;
}
#endif

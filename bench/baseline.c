// The C floor for the benchmark harness (bench/run.mjs compiles it into bench/bin/ with the system cc).
//   baseline spawn RSS_BYTES ITERATIONS  touch RSS_BYTES, then time posix_spawn(/bin/true)+waitpid, and
//                                        the posix_spawn call alone (glibc's is clone(CLONE_VM|CLONE_VFORK):
//                                        the caller is blocked until the child execs, as in canfork's spawn())
//   baseline calls ROUNDS                time getrlimit and mmap+munmap(1 GiB) in tight loops
// Prints one JSON object on stdout; every time is in nanoseconds.
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "baseline: %s: %s\n", what, strerror(errno));
  exit(1);
}

// VmRSS from /proc/self/status, in bytes: proof that the memory really is resident.
static long long resident_bytes(void) {
  FILE *status = fopen("/proc/self/status", "r");
  if (!status) die("/proc/self/status");
  char line[256];
  long long kib = -1;
  while (fgets(line, sizeof line, status)) {
    if (sscanf(line, "VmRSS: %lld kB", &kib) == 1) break;
  }
  fclose(status);
  return kib * 1024;
}

// Private anonymous memory written page by page, so every page is resident (and accountable, like a
// Node heap or Buffer), the state fork has to copy page tables for.
static void touch_memory(size_t bytes) {
  if (bytes == 0) return;
  char *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) die("mmap");
  long page = sysconf(_SC_PAGESIZE);
  for (size_t offset = 0; offset < bytes; offset += (size_t)page) memory[offset] = 1;
}

// One spawn of /bin/true: the whole call-to-reaped time, and how long posix_spawn kept the caller blocked.
static void spawn_true_once(uint64_t *total_ns, uint64_t *blocked_ns) {
  char *argv[] = {"/bin/true", NULL};
  pid_t pid;
  uint64_t start = now_ns();
  int error = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
  uint64_t spawned = now_ns();
  if (error != 0) {
    errno = error;
    die("posix_spawn");
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  *total_ns = now_ns() - start;
  *blocked_ns = spawned - start;
}

static void print_array(const char *name, const uint64_t *values, int count) {
  printf("\"%s\":[", name);
  for (int i = 0; i < count; i++) printf("%s%llu", i ? "," : "", (unsigned long long)values[i]);
  printf("]");
}

static int run_spawn(size_t rss_bytes, int iterations) {
  touch_memory(rss_bytes);
  uint64_t *total_ns = calloc((size_t)iterations + 1, sizeof *total_ns);
  uint64_t *blocked_ns = calloc((size_t)iterations + 1, sizeof *blocked_ns);
  if (!total_ns || !blocked_ns) die("calloc");
  for (int i = 0; i < 3; i++) spawn_true_once(&total_ns[0], &blocked_ns[0]);  // warm the page cache and the loader
  for (int i = 0; i < iterations; i++) spawn_true_once(&total_ns[i], &blocked_ns[i]);
  printf("{\"residentBytes\":%lld,", resident_bytes());
  print_array("samplesNs", total_ns, iterations);
  printf(",");
  print_array("blockedNs", blocked_ns, iterations);
  printf("}\n");
  free(total_ns);
  free(blocked_ns);
  return 0;
}

static double getrlimit_ns(int loops) {
  struct rlimit limit;
  uint64_t start = now_ns();
  for (int i = 0; i < loops; i++) {
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) die("getrlimit");
  }
  return (double)(now_ns() - start) / loops;
}

// What canfork's tryAllocate and mmap().unmap() both come down to: map 1 GiB private writable
// (accountable, never touched), then unmap it.
static double mmap_unmap_ns(int loops) {
  const size_t gib = (size_t)1 << 30;
  uint64_t start = now_ns();
  for (int i = 0; i < loops; i++) {
    void *address = mmap(NULL, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) die("mmap");
    if (munmap(address, gib) != 0) die("munmap");
  }
  return (double)(now_ns() - start) / loops;
}

static int run_calls(int rounds) {
  getrlimit_ns(10000);
  mmap_unmap_ns(1000);
  printf("{\"getrlimitNs\":[");
  for (int i = 0; i < rounds; i++) printf("%s%.2f", i ? "," : "", getrlimit_ns(100000));
  printf("],\"mmapUnmapNs\":[");
  for (int i = 0; i < rounds; i++) printf("%s%.2f", i ? "," : "", mmap_unmap_ns(10000));
  printf("]}\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
    return run_spawn((size_t)strtoull(argv[2], NULL, 10), atoi(argv[3]));
  }
  if (argc == 3 && strcmp(argv[1], "calls") == 0) return run_calls(atoi(argv[2]));
  fprintf(stderr, "usage: baseline spawn RSS_BYTES ITERATIONS | baseline calls ROUNDS\n");
  return 2;
}

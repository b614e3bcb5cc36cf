#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/
# and runs the native-facing tests against it, the gcc sanitizer runtimes preloaded into node.
# Any report fails the run: the runtimes halt on the first error and write it to a log file per process,
# and a log file left behind fails this script even when the process that wrote it was a child whose
# death vitest did not notice. Leak detection is off under vitest: LeakSanitizer reports V8's own heap
# pages and the bundler's addon (measured: 10 reports, 1 512 allocations in one worker, none ours). It is
# on for the second part, scripts/valgrind-drive.cjs in a plain node, where V8 leaves nothing for it to
# report (measured: 0 records) and the exit-watch leak valgrind found showed as 160 bytes in 4 allocations.
# The preload reaches every program the tests start (sh, sleep, a node that loads the addon): ASan's own
# SIGSEGV/SIGBUS/SIGFPE handlers stay off so the tests that read a child's signal dispositions see the
# defaults; a crash still kills the process, and the tests see that.
# ASan in each of those programs reserves ~15 TiB of shadow with MAP_NORESERVE: under overcommit mode 2
# (a system test switching it for a moment on a shared machine) that reservation fails with ENOMEM and
# is reported; CI runs this step alone, after the system tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# cmake-js sets CMAKE_CXX_FLAGS itself (and would drop ours without a word): the flags go in the
# Release flags, which it leaves alone. CANFORK_ASAN_SOURCE builds another tree (a scratch copy with a
# planted bug, to show that a report fails the run).
source_dir=${CANFORK_ASAN_SOURCE:-$PWD}
sanitize='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer'
npx cmake-js rebuild --directory "$source_dir" --out "$source_dir/build-asan" \
  --CDCMAKE_CXX_FLAGS_RELEASE="$sanitize" --CDCMAKE_SHARED_LINKER_FLAGS='-fsanitize=address,undefined' >/dev/null
if ! nm -D "$source_dir/build-asan/Release/canfork.node" | grep -c __asan_report >/dev/null; then
  echo 'test:asan: build-asan/Release/canfork.node is not instrumented' >&2; exit 1
fi
[ -f dist/index.js ] || npx tsc -p tsconfig.build.json   # the worker-thread tests load dist/

tests=()
for dir in test/native test/spawn test/hardening test/fuzz/api.test.ts; do [ -e "$dir" ] && tests+=("$dir"); done
tests+=("$@")

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0

# Any file in $logs is a sanitizer report: print them all and fail.
fail_on_reports() {
  local reports
  reports=$(find "$logs" -type f | sort)
  [ -z "$reports" ] && return 0
  for report in $reports; do printf '\n--- %s\n' "$report"; cat "$report"; done
  echo "test:asan: $(echo "$reports" | wc -l) sanitizer report(s) from $1" >&2
  exit 1
}

LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:log_path=$logs/asan" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$logs/ubsan" \
CANFORK_ADDON_PATH="$source_dir/build-asan/Release/canfork.node" \
  npx vitest run --project unit "${tests[@]}" || status=$?

fail_on_reports "the vitest run"
[ "$status" -eq 0 ] || { echo "test:asan: vitest failed ($status)" >&2; exit "$status"; }

# Every native path again, in a plain node with LeakSanitizer on.
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:log_path=$logs/lsan" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$logs/ubsan" \
CANFORK_ADDON_PATH="$source_dir/build-asan/Release/canfork.node" \
  node --expose-gc scripts/valgrind-drive.cjs 10 || status=$?
fail_on_reports "the LeakSanitizer run"
[ "$status" -eq 0 ] || { echo "test:asan: the native-path driver failed ($status)" >&2; exit "$status"; }

# The vfork core alone, without Node: its C++ unit test built with the same sanitizers (LeakSanitizer on).
bash scripts/test-core.sh --sanitize
echo "test:asan: 0 sanitizer reports in ${tests[*]} and the core's unit test, 0 leaks in scripts/valgrind-drive.cjs"

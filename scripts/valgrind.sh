#!/usr/bin/env bash
# `npm run test:valgrind`: memcheck over every native path of the addon (scripts/valgrind-drive.cjs:
# mmap, trial allocations, rlimits, spawn and spawnSync with pipes, waitpid, canFork, workers), built
# with -g into build-valgrind/. Fails on any invalid access, use of uninitialised memory or definite
# leak whose stack passes through canfork.node (node itself has no line info: a `file.cc:N` frame is
# ours, as are canfork:: and node-addon-api's napi-inl.h frames). V8 and Node report their own (leaks of objects that live
# until exit, JIT code that valgrind cannot see into): those stacks do not touch our code and are
# counted, not failed on. V8's conservative stack scan is suppressed (scripts/valgrind-v8.supp): it reads
# uninitialised stack words by design, and when a GC starts inside one of our callbacks its stack passes
# through canfork.node. vitest itself under memcheck is the slow way to the same paths (measured: 54 s
# for test/native/rlimit.test.ts alone, 6 tests) and the spawn tests that expect an exec failure as an
# 'error' cannot pass there (below); the driver covers every path in about 90 s.
# Valgrind runs clone(CLONE_VM|CLONE_VFORK) as a fork: each spawned child is a second valgrind until
# its exec, and its own log (a copy of node leaking at _exit) is ignored; only this node's log counts.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo 'test:valgrind: valgrind is not installed (apt-get install valgrind)' >&2; exit 1; }

# CANFORK_VALGRIND_SOURCE builds another tree (a scratch copy with a planted bug, to show it is caught).
source_dir=${CANFORK_VALGRIND_SOURCE:-$PWD}
npx cmake-js rebuild --directory "$source_dir" --out "$source_dir/build-valgrind" --CDCANFORK_PORTABLE=OFF \
  --CDCMAKE_CXX_FLAGS_RELEASE='-O1 -g -fno-omit-frame-pointer' >/dev/null
[ -f dist/index.js ] || npx tsc -p tsconfig.build.json
export CANFORK_VALGRIND_KEEP_LOG=${CANFORK_VALGRIND_KEEP_LOG:-}
rounds=${1:-20}
logs=$(mktemp -d)
[ -n "$CANFORK_VALGRIND_KEEP_LOG" ] || trap 'rm -rf "$logs"' EXIT

status=0
CANFORK_UNDER_VALGRIND=1 CANFORK_ADDON_PATH="$source_dir/build-valgrind/Release/canfork.node" \
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --track-origins=no --num-callers=40 --log-file="$logs/vg.%p.log" --suppressions=scripts/valgrind-v8.supp \
    node --expose-gc scripts/valgrind-drive.cjs "$rounds" &
node_pid=$!
wait "$node_pid" || status=$?
log="$logs/vg.$node_pid.log"
[ -f "$log" ] || { echo "test:valgrind: no memcheck log for pid $node_pid" >&2; exit 1; }

# One record per error or leak: lines from a 'kind' line to the blank '==PID== ' line after it.
summary=$(awk -v ours=0 -v theirs=0 '
  /^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|.*definitely lost in loss record)/ {
    inrec = 1; rec = $0 "\n"; next }
  inrec && /^==[0-9]+== ?$/ {
    inrec = 0
    if (rec ~ /canfork::|canfork\.node|napi-inl\.h|\.cc:[0-9]+\)/) { ours++; printf "%s\n", rec > "/dev/stderr" } else theirs++
    next }
  inrec { rec = rec $0 "\n" }
  END { printf "%d %d\n", ours, theirs }' "$log")
read -r ours theirs <<<"$summary"
grep -E 'ERROR SUMMARY|definitely lost:' "$log" | sed 's/^==[0-9]*== /test:valgrind: node: /'
echo "test:valgrind: $ours record(s) through canfork.node, $theirs in node/V8 only"
[ "$status" -eq 0 ] || { echo "test:valgrind: the driver failed ($status)" >&2; exit "$status"; }
[ "$ours" -eq 0 ]

#!/usr/bin/env bash
# `npm run test:core`: builds the vfork core (native/core, plain C++) with its unit test
# (test/native/core-test.cc) into build-core/ and runs it, without Node. `--sanitize` builds and runs it
# under AddressSanitizer and UndefinedBehaviorSanitizer instead (scripts/asan.sh does that too).
set -euo pipefail
cd "$(dirname "$0")/.."
compiler=${CXX:-g++}
command -v "$compiler" >/dev/null || { echo "test:core: no $compiler (Debian package g++)" >&2; exit 1; }
flags=(-std=c++17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g)
output=build-core/core-test
if [ "${1:-}" = --sanitize ]; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  output=build-core/core-test-sanitized
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
mkdir -p build-core
"$compiler" "${flags[@]}" native/core/*.cc test/native/core-test.cc -o "$output"
"$output"

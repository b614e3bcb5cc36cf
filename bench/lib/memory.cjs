// Building the memory states the benchmark measures in: touched (resident) RSS and many unmerged VMAs.
const { Buffer } = require('node:buffer');
const { readFileSync } = require('node:fs');

const GiB = 1024 ** 3;

/** VmRSS of this process in bytes. */
function residentBytes() {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** MemAvailable in bytes: the harness refuses an RSS level that would push a shared machine into OOM. */
function availableBytes() {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemAvailable:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** How many VMAs this process has: the line count of /proc/self/maps. */
function vmaCount() {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  let lines = 0;
  for (let i = maps.indexOf('\n'); i >= 0; i = maps.indexOf('\n', i + 1)) lines++;
  return lines;
}

/**
 * Allocates `bytes` in 1 GiB Buffers and writes every byte, so all of it is resident and accountable,
 * like a large Node heap. Keep the returned array alive for as long as the RSS should stay.
 */
function touchResident(bytes) {
  const chunks = [];
  for (let left = bytes; left > 0; left -= GiB) {
    // allocUnsafeSlow: a fresh allocation that is not yet resident; fill() faults every page in.
    chunks.push(Buffer.allocUnsafeSlow(Math.min(left, GiB)).fill(0x5a));
  }
  return chunks;
}

/**
 * Adds `count` one-page mappings that the kernel cannot merge: neighbours alternate MAP_NORESERVE,
 * so their VM flags differ (vma_merge() needs identical flags). Keep the array alive.
 */
function addUnmergedMappings(mmap, count) {
  const mappings = [];
  for (let i = 0; i < count; i++) mappings.push(mmap(4096, { noreserve: i % 2 === 1 }));
  return mappings;
}

module.exports = { GiB, residentBytes, availableBytes, vmaCount, touchResident, addUnmergedMappings };

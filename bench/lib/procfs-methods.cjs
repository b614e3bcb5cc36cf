// The two procfs baselines canFork() is compared with.
const { readFileSync } = require('node:fs');

const vmaHeader = /^([0-9a-f]+)-([0-9a-f]+) /;
const accountableFlag = / ac(?: |$)/;

/**
 * What the original canfork script does: read all of /proc/self/smaps (the kernel walks every page
 * table to fill in Rss/Pss, so the cost grows with RSS) and find the largest VMA with `ac` in VmFlags.
 */
function largestAccountableFromSmaps() {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  let largestBytes = 0;
  let currentBytes = 0;
  for (const line of lines) {
    const header = vmaHeader.exec(line);
    if (header) {
      currentBytes = parseInt(header[2], 16) - parseInt(header[1], 16);
    } else if (currentBytes > largestBytes && line.startsWith('VmFlags:') && accountableFlag.test(line)) {
      largestBytes = currentBytes;
    }
  }
  return largestBytes;
}

/** The floor: only read /proc/self/maps (ranges and permissions, no page-table walk). */
function readMaps() {
  return readFileSync('/proc/self/maps', 'utf8').length;
}

module.exports = { largestAccountableFromSmaps, readMaps };

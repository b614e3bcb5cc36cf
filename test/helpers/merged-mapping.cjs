// For child processes of the tests: untouched accountable memory that the kernel merges into one VMA
// larger than `limitBytes`. Adjacent anonymous mappings with equal flags merge (docs/kernel-rules.md §2), but
// another thread's mmap can land between two of them, so each attempt is checked in /proc/self/maps
// and, if the pieces did not merge, unmapped and tried again.
'use strict';
const { readFileSync } = require('node:fs');

function vmaBytesContaining(address) {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (!match) continue;
    const start = BigInt(`0x${match[1]}`);
    const end = BigInt(`0x${match[2]}`);
    if (start <= address && address < end) return Number(end - start);
  }
  return 0;
}

/** Returns the mappings (keep them referenced) and the lowest address; throws after 5 attempts. */
function mapMergedPast(mmap, limitBytes, chunkBytes = 4 * 2 ** 30) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const mappings = [];
    while (mappings.length * chunkBytes <= limitBytes) mappings.push(mmap(chunkBytes));
    const lowest = mappings.reduce((low, mapping) => (mapping.address < low ? mapping.address : low), mappings[0].address);
    if (vmaBytesContaining(lowest) > limitBytes) return { mappings, lowest };
    for (const mapping of mappings) mapping.unmap();
  }
  throw new Error(`the kernel did not merge the mappings past ${limitBytes} bytes in 5 attempts`);
}

module.exports = { mapMergedPast };

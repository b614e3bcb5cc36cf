// A child process that holds mappings for canFork() tests and forks on request, so the vitest worker never
// carries a huge VMA itself. Driven over IPC (advanced serialization, for bigint): see holder.ts.
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const canfork = require(process.env.CANFORK_DIST_ENTRY);

const mappings = [];
// The top-down allocator puts a new mapping in the highest free gap that fits. A NORESERVE+DONTFORK placeholder
// kept right below the growing range holds that space; each step frees it, maps the next chunk (which lands at the
// top of the freed hole, adjacent to the range, so it merges) and maps a smaller placeholder below, all in one
// synchronous turn, so no other mapping of this process can settle between chunks.
let placeholder = null;

function vmaAt(address) {
  let vma = null;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header) {
      if (vma && vma.flags) break;
      const start = BigInt(`0x${header[1]}`);
      const end = BigInt(`0x${header[2]}`);
      vma = start <= address && address < end ? { start, end, bytes: Number(end - start), flags: null } : null;
    } else if (vma && line.startsWith('VmFlags:')) {
      vma.flags = line.slice(8).trim().split(/\s+/);
      break;
    }
  }
  return vma;
}

const operations = {
  map({ bytes, noreserve = false, dontfork = false, separated = false }) {
    const mapping = canfork.mmap(bytes, { noreserve, dontfork });
    mappings.push(mapping);
    // A NORESERVE+DONTFORK spacer as large as the chunk has other flags and takes the gap right below it
    // (no smaller gap above fits it), so the next chunk lands below the spacer and cannot merge with this one.
    if (separated) mappings.push(canfork.mmap(bytes, { noreserve: true, dontfork: true }));
    return { address: mapping.address, length: mapping.length };
  },
  grow({ bytes, reserveBytes, noreserve = false, dontfork = false }) {
    if (placeholder) placeholder.unmap();
    const chunk = canfork.mmap(bytes, { noreserve, dontfork });
    mappings.push(chunk);
    const left = (placeholder ? placeholder.length : reserveBytes) - bytes;
    placeholder = left > 0 ? canfork.mmap(left, { noreserve: true, dontfork: true }) : null;
    return { address: chunk.address, length: chunk.length };
  },
  vma({ address }) {
    return vmaAt(address);
  },
  canFork({ options }) {
    return canfork.canFork(options);
  },
  fork() {
    const result = spawnSync('true');
    return { ok: result.error === undefined && result.status === 0, code: result.error?.code ?? null };
  },
  setrlimit({ resource, limits }) {
    canfork.setrlimit(resource, limits);
    return canfork.getrlimit(resource);
  },
  unmapAll() {
    for (const mapping of mappings.splice(0)) mapping.unmap();
    placeholder?.unmap();
    placeholder = null;
    return null;
  },
};

process.on('message', ({ id, op, ...args }) => {
  try {
    process.send({ id, result: operations[op](args) });
  } catch (error) {
    process.send({ id, error: { message: error.message, code: error.code } });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ id: 0, result: { ready: true } });

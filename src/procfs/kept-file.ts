// The files every canFork() answer reads (the machine's and this process's own), kept open and read again from
// offset 0. procfs builds the text afresh on each read from 0 (seq_read_iter resets its iterator there; a sysctl
// formats its value on each read), so the text is the one open, read, read, close would give, for two reads: 3–6 µs
// down to 1–3.5 per file, and for a numeric sysctl one read, 3.3 down to 0.6 (bench/canfork-reads.mjs). What an open
// file is bound to cannot change under a Node process: /proc/PID is our own, no process changes its own pid
// namespace, and setns refuses a mount namespace to threads that share their fs_struct, as Node's do (only native
// code calling unshare(CLONE_NEWNS) on the main thread would leave the kept mountinfo showing the namespace it was
// opened in).
// Other processes' files are read the usual way: a pid can be reused, and a scan would keep one descriptor per process.
// A worker's kept descriptors are closed by Node when the worker ends, as every fs.openSync descriptor of a worker is
// (test/hardening/worker-terminate.test.ts counts them).
import { closeSync, openSync, readSync } from 'node:fs';

const keptDescriptors = new Map<string, number>();
// One buffer for every read, grown to the largest text up to this size (a big process's smaps is read into its own).
const KEPT_BUFFER_LIMIT = 1 << 20;
let scratch = Buffer.allocUnsafe(16 * 1024);

/** The bytes from offset 0 until a read gives 0, in the shared buffer: valid until the next kept read. */
function readBytesFromStart(fd: number): Buffer {
  let buffer = scratch;
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const larger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    // Sequential positions: seq_read_iter walks back to a position it did not stop at.
    const read = readSync(fd, buffer, length, buffer.length - length, length);
    if (read === 0) break;
    length += read;
  }
  if (buffer.length <= KEPT_BUFFER_LIMIT) scratch = buffer;
  return buffer.subarray(0, length);
}

function readFromStart(fd: number): string {
  return readBytesFromStart(fd).toString('utf8');
}

// Enough for any /proc/sys file of a few numbers; a read that fills it may have been cut short (see readKeptSysctl).
const SYSCTL_READ_BYTES = 256;

/** A numeric /proc/sys file in one read when it fits, else read as any other file. */
function readSysctlOnce(fd: number): string {
  const read = readSync(fd, scratch, 0, SYSCTL_READ_BYTES, 0);
  return read < SYSCTL_READ_BYTES ? scratch.toString('utf8', 0, read) : readFromStart(fd);
}

/** What `readText` reads of `path` through the descriptor kept for it; errors as readKeptFile says. */
function readKept<T>(path: string, readText: (fd: number) => T): T {
  const kept = keptDescriptors.get(path);
  if (kept !== undefined) {
    try {
      return readText(kept);
    } catch (error) {
      keptDescriptors.delete(path);
      // EBADF: closed behind our back, and the number may be someone else's by now; anything else is still ours.
      if ((error as NodeJS.ErrnoException).code !== 'EBADF') closeSync(kept);
    }
  }
  const fd = openSync(path, 'r');
  try {
    const text = readText(fd);
    keptDescriptors.set(path, fd);
    return text;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * The whole text of `path`, read through a descriptor kept open for it (opened on first use, O_CLOEXEC as every
 * Node descriptor). Errors are those of readFileSync: a failed open throws it unchanged; a kept descriptor whose read
 * fails (closed by someone else, EBADF) is let go and the file opened again, once.
 */
export function readKeptFile(path: string): string {
  return readKept(path, readFromStart);
}

/**
 * readKeptFile's bytes, undecoded, for a parser of bytes (maps): a view of a buffer the next kept read reuses, so
 * to be parsed at once and not kept.
 */
export function readKeptBytes(path: string): Buffer {
  return readKept(path, readBytesFromStart);
}

/**
 * readKeptFile for a /proc/sys file of numbers, in one read of a few hundred bytes. Their handlers (the
 * proc_dointvec and proc_doulongvec families) write the whole value in the first read, cut to its size, and nothing
 * at any later position, so the read until 0 that other files need is a second call that can only return 0, and
 * the kernel zeroes a buffer of the size asked for on every read (one read of 16 KiB takes about 0.4 µs more than
 * one of 256 bytes: bench/canfork-reads.mjs; docs/kernel-rules.md §7).
 */
export function readKeptSysctl(path: string): string {
  return readKept(path, readSysctlOnce);
}

/** The descriptor kept for `path`, or undefined (src/snapshot.ts polls the mountinfo one). */
export function keptDescriptorOf(path: string): number | undefined {
  return keptDescriptors.get(path);
}

// A process holding one accountable VMA larger than MemTotal+SwapTotal (fork's dup_mmap() must charge it and fails
// with ENOMEM; vfork+exec copies no mm) that then starts processes the ways a program and its dependencies do:
// execa, exec with a shell, fork with an IPC round trip, execSync. Prints one JSON line: the VMA and each
// outcome, or the error code. With `--forked` it is the child of its own fork() call and echoes one message.
'use strict';
const childProcess = require('node:child_process');
const { once } = require('node:events');
const { join } = require('node:path');
const { readFileSync } = require('node:fs');

/** Size and VmFlags of the VMA holding `address`, from /proc/self/smaps. */
function vmaAt(address) {
  let size = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header) {
      const [start, end] = [BigInt(`0x${header[1]}`), BigInt(`0x${header[2]}`)];
      size = start <= address && address < end ? Number(end - start) : 0;
    } else if (size && line.startsWith('VmFlags:')) {
      return { bytes: size, flags: line.slice('VmFlags:'.length).trim().split(/\s+/) };
    }
  }
  return null;
}

async function outcome(call) {
  try {
    return await call();
  } catch (error) {
    return { error: error.code ?? error.cause?.code ?? error.message };
  }
}

async function main(limitBytes) {
  const { execa } = await import('execa');
  const canfork = require(process.env.CANFORK_DIST_ENTRY);
  const { mapMergedPast } = require('../helpers/merged-mapping.cjs');
  const { mappings, lowest } = mapMergedPast(canfork.mmap, limitBytes);
  const vma = vmaAt(lowest);
  const results = {
    execa: await outcome(async () => ({ stdout: (await execa('git', ['--version'])).stdout.split(' ').slice(0, 2).join(' ') })),
    exec: await outcome(() => new Promise((resolve, reject) => {
      childProcess.exec('echo $HOME', (error, stdout) => (error ? reject(error) : resolve({ stdout })));
    })),
    fork: await outcome(async () => {
      const child = childProcess.fork(join(__dirname, 'big-process.cjs'), ['--forked']);
      child.send({ ping: 7 });
      const [message] = await once(child, 'message');
      const [code] = await once(child, 'exit');
      return { message, code };
    }),
    execSync: await outcome(() => ({ stdout: childProcess.execSync('true', { encoding: 'utf8' }) })),
  };
  console.log(JSON.stringify({ vma, results }));
  for (const mapping of mappings) mapping.unmap();
}

if (process.argv.includes('--forked')) {
  process.once('message', (message) => process.send({ pong: message.ping }, () => process.disconnect()));
} else {
  main(Number(process.argv[2]));
}

// Calls each of child_process's seven process-starting functions once, one after the other, and prints one JSON
// line: what each returned and the pids it reported. Run with and without `--require canfork/register` by the
// fork-free and merged-mapping tests; with `--forked` it is the child of its own fork() call and echoes one message.
'use strict';
const childProcess = require('node:child_process');
const { once } = require('node:events');
const { join } = require('node:path');

async function callEach() {
  const pids = [];
  const results = {};
  const attempt = async (name, call) => {
    try {
      results[name] = await call();
    } catch (error) {
      results[name] = { error: error.code ?? error.message };
    }
  };
  await attempt('spawn', async () => {
    const child = childProcess.spawn('sh', ['-c', 'exit 3']);
    pids.push(child.pid);
    const [code] = await once(child, 'close');
    return { code };
  });
  await attempt('exec', () => new Promise((resolve, reject) => {
    const child = childProcess.exec('echo "$HOME"', (error, stdout) => (error ? reject(error) : resolve({ stdout })));
    pids.push(child.pid);
  }));
  await attempt('execFile', () => new Promise((resolve, reject) => {
    const child = childProcess.execFile('echo', ['execFile'], (error, stdout) => (error ? reject(error) : resolve({ stdout })));
    pids.push(child.pid);
  }));
  await attempt('fork', async () => {
    const child = childProcess.fork(join(__dirname, 'seven-calls.cjs'), ['--forked']);
    pids.push(child.pid);
    child.send({ ping: 42 });
    const [message] = await once(child, 'message');
    const [code] = await once(child, 'exit');
    return { message, code };
  });
  await attempt('spawnSync', () => {
    const result = childProcess.spawnSync('sh', ['-c', 'echo spawnSync; exit 4'], { encoding: 'utf8' });
    if (result.error) throw result.error;
    pids.push(result.pid);
    return { status: result.status, stdout: result.stdout };
  });
  await attempt('execSync', () => ({ stdout: childProcess.execSync('echo execSync', { encoding: 'utf8' }) }));
  await attempt('execFileSync', () => ({ stdout: childProcess.execFileSync('echo', ['execFileSync'], { encoding: 'utf8' }) }));
  return { pids, results };
}

if (process.argv.includes('--forked')) {
  process.once('message', (message) => process.send({ pong: message.ping }, () => process.disconnect()));
} else {
  callEach().then((outcome) => console.log(JSON.stringify(outcome)));
}

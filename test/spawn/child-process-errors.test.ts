// Errors of every child_process function, compared with child_process in the same test: the class,
// code, message and fields of argument errors, exec's error objects, and execSync's.
import * as util from 'node:util';
import { describe, expect, it } from 'vitest';
import { both, libraries, thrownBy, type Library } from './compare';

const badSpawnCalls: [string, unknown[]][] = [
  ['file not a string', [42]],
  ['empty file', ['']],
  ['NUL in file', ['a\u0000b']],
  ['args a string', ['true', 'x']],
  ['args a number', ['true', 5]],
  ['NUL in an arg', ['true', ['a\u0000']]],
  ['options a string', ['true', [], 'x']],
  ['options an array', ['true', [], [1]]],
  ['cwd a number', ['true', [], { cwd: 5 }]],
  ['cwd with NUL', ['true', [], { cwd: '/tmp\u0000' }]],
  ['cwd a non-file URL', ['true', [], { cwd: new URL('http://example.com/') }]],
  ['detached a string', ['true', [], { detached: 'yes' }]],
  ['uid a string', ['true', [], { uid: '0' }]],
  ['uid fractional', ['true', [], { uid: 1.5 }]],
  ['uid too large', ['true', [], { uid: 2 ** 32 }]],
  ['gid NaN', ['true', [], { gid: NaN }]],
  ['shell a number', ['true', [], { shell: 1 }]],
  ['shell with NUL', ['true', [], { shell: 'sh\u0000' }]],
  ['argv0 a number', ['true', [], { argv0: 1 }]],
  ['argv0 with NUL', ['true', [], { argv0: 'a\u0000' }]],
  ['windowsHide a string', ['true', [], { windowsHide: 'x' }]],
  ['NUL in an env key', ['true', [], { env: { 'A\u0000': '1' } }]],
  ['NUL in an env value', ['true', [], { env: { A: '\u0000' } }]],
  ['timeout negative', ['true', [], { timeout: -1 }]],
  ['timeout a string', ['true', [], { timeout: '5' }]],
  ['timeout fractional', ['true', [], { timeout: 1.5 }]],
  ['killSignal unknown', ['true', [], { killSignal: 'SIGNOPE' }]],
  ['killSignal an object', ['true', [], { killSignal: {} }]],
  ['killSignal an unknown number', ['true', [], { killSignal: 12345 }]],
  ['signal not an AbortSignal', ['true', [], { signal: {} }]],
  ['stdio a number', ['true', [], { stdio: 5 }]],
  ['stdio an unknown word', ['true', [], { stdio: 'bogus' }]],
  ['stdio entry an object', ['true', [], { stdio: [{}] }]],
  ['two ipc entries', ['true', [], { stdio: ['ipc', 'ipc'] }]],
  ['a Buffer in async stdio', ['true', [], { stdio: [Buffer.from('x')] }]],
  ['serialization unknown', ['true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], serialization: 'xml' }]],
];

const badSyncCalls: [string, unknown[]][] = [
  ['maxBuffer negative', ['true', [], { maxBuffer: -1 }]],
  ['maxBuffer a string', ['true', [], { maxBuffer: '1' }]],
  ['input a number', ['true', [], { input: 5 }]],
  ['ipc in sync stdio', ['true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }]],
  ['timeout negative', ['true', [], { timeout: -5 }]],
  ['killSignal unknown', ['true', [], { killSignal: 'SIGNOPE' }]],
];

function compare(call: (library: Library) => unknown): void {
  const [[, node], [, ours]] = libraries;
  expect(thrownBy(() => call(ours))).toEqual(thrownBy(() => call(node)));
}

describe('argument errors: the same class, code and message as child_process', () => {
  it.each(badSpawnCalls)('spawn: %s', (_name, args) => {
    compare((library) => (library.spawn as (...a: unknown[]) => unknown)(...args));
  });

  it.each([...badSpawnCalls.filter(([name]) => !name.includes('stdio') && !name.includes('ipc') && !name.includes('signal')), ...badSyncCalls])(
    'spawnSync: %s', (_name, args) => {
      compare((library) => (library.spawnSync as (...a: unknown[]) => unknown)(...args));
    });

  it.each([
    ['command a number', [5]],
    ['NUL in the command', ['a\u0000']],
    ['options a number', ['true', 5]],
    ['callback not a function', ['true', {}, 'cb']],
    ['maxBuffer negative', ['true', { maxBuffer: -1 }]],
    ['timeout a string', ['true', { timeout: 'x' }]],
    ['killSignal unknown', ['true', { killSignal: 'SIGBOGUS' }]],
    ['uid a string', ['true', { uid: 'x' }]],
  ] as [string, unknown[]][])('exec: %s', (_name, args) => {
    compare((library) => (library.exec as (...a: unknown[]) => unknown)(...args));
  });

  it.each([
    ['file a number', [5]],
    ['args a string, options a number', ['true', 'x', 5]],
    ['argv0 a number', ['true', [], { argv0: 5 }]],
    ['callback not a function', ['true', [], {}, 'cb']],
    ['maxBuffer NaN', ['true', [], { maxBuffer: NaN }]],
  ] as [string, unknown[]][])('execFile and execFileSync: %s', (_name, args) => {
    compare((library) => (library.execFile as (...a: unknown[]) => unknown)(...args));
    compare((library) => (library.execFileSync as (...a: unknown[]) => unknown)(...args.slice(0, 3)));
  });

  it.each([
    ['modulePath a number', [5]],
    ['args a string', ['x.js', 'a']],
    ['options a number', ['x.js', [], 5]],
    ['stdio without ipc', ['x.js', [], { stdio: ['pipe', 'pipe', 'pipe'] }]],
    ['an unknown stdio word', ['x.js', [], { stdio: 'bogus' }]],
    ['NUL in execPath', ['x.js', [], { execPath: 'node\u0000' }]],
    ['NUL in execArgv', ['x.js', [], { execArgv: ['--x\u0000'] }]],
  ] as [string, unknown[]][])('fork: %s', (_name, args) => {
    compare((library) => (library.fork as (...a: unknown[]) => unknown)(...args));
  });

  it('execSync: a command that is not a string', () => {
    compare((library) => library.execSync(5 as never));
  });

  it('kill() with an unknown signal', async () => {
    const [expected, actual] = await both(async (library) => {
      const child = library.spawn('true');
      const thrown = thrownBy(() => child.kill('SIGBOGUS' as never));
      await new Promise((resolve) => child.on('close', resolve));
      return thrown;
    });
    expect(actual).toEqual(expected);
  });

  it('own properties only: a polluted Object.prototype changes nothing', () => {
    // In a process of its own: polluting this worker's Object.prototype would disturb the test runner.
    const script = `
      const lib = require(process.argv[1] === 'node' ? 'node:child_process' : process.argv[1]);
      Object.prototype.cwd = '/nonexistent'; Object.prototype.uid = 12345; Object.prototype.shell = true;
      Object.prototype.argv0 = 'polluted'; Object.prototype.detached = 'x'; Object.prototype.timeout = -1;
      // What only canfork's native plan has: optional fields its native side reads by name.
      Object.prototype.cgroupFd = 0; Object.prototype.pdeathsig = 9;
      const out = lib.spawnSync('sh', ['-c', 'echo $0 $(pwd) $(id -u)'], {}).stdout.toString();
      const child = lib.spawn('sh', ['-c', 'echo $0 $(pwd) $(id -u)']);
      let async = ''; child.stdout.on('data', (d) => (async += d));
      child.on('close', () => console.log(JSON.stringify({ out, async })));`;
    const results = [['node'], [require.resolve('../../dist/index.js')]].map((args) =>
      libraries[0][1].execFileSync(process.execPath, ['-e', script, ...args], { encoding: 'utf8', cwd: '/' }));
    expect(results[1]).toBe(results[0]);
    expect(JSON.parse(results[0]!)).toEqual({ out: `sh / ${process.getuid!()}\n`, async: `sh / ${process.getuid!()}\n` });
  });
});

describe('exec and execFile: the same callback arguments and error objects', () => {
  const callbackOf = (run: (done: (...args: unknown[]) => void) => unknown) =>
    new Promise<unknown[]>((resolve) => run((...args) => resolve(args.map((value) => (value instanceof Error
      ? { ...value, message: value.message, name: value.name, constructor: value.constructor.name } : value)))));

  it.each([
    ['a failing command with stderr', (lib: Library, done: never) => lib.exec('echo out; echo err >&2; exit 3', done)],
    ['a shell that is a string', (lib: Library, done: never) => lib.exec('echo $0', { shell: '/bin/bash' }, done)],
    ['an ENOENT program', (lib: Library, done: never) => lib.execFile('/nonexistent/x', ['a'], done)],
    ['an ENOENT cwd', (lib: Library, done: never) => lib.execFile('true', { cwd: '/nonexistent' }, done)],
    ['a timeout', (lib: Library, done: never) => lib.execFile('sleep', ['10'], { timeout: 50 }, done)],
    ['a timeout with killSignal', (lib: Library, done: never) => lib.exec('sleep 10', { timeout: 50, killSignal: 'SIGKILL' }, done)],
    ['maxBuffer on stdout', (lib: Library, done: never) => lib.exec('yes', { maxBuffer: 100 }, done)],
    ['maxBuffer on stderr', (lib: Library, done: never) => lib.exec('yes >&2', { maxBuffer: 100 }, done)],
    ['encoding buffer', (lib: Library, done: never) => lib.execFile('printf', ['\\xff'], { encoding: 'buffer' }, done)],
    ['encoding latin1', (lib: Library, done: never) => lib.execFile('printf', ['\\xff'], { encoding: 'latin1' }, done)],
    ['an aborted signal', (lib: Library, done: never) => lib.execFile('sleep', ['10'], { signal: AbortSignal.abort('why') }, done)],
    ['args joined into cmd', (lib: Library, done: never) => lib.execFile('sh', ['-c', 'exit 1', 'x'], done)],
  ] as [string, (lib: Library, done: never) => unknown][])('%s', async (_name, run) => {
    const [expected, actual] = await both((library) => callbackOf((done) => run(library, done as never)));
    expect(actual).toEqual(expected);
  });

  it('util.promisify: resolves { stdout, stderr }, rejects with them on the error, carries the child', async () => {
    const [expected, actual] = await both(async (library) => {
      const execFile = util.promisify(library.execFile);
      const exec = util.promisify(library.exec);
      const ok = execFile('echo', ['a', 'b']);
      const hasChild = typeof (ok as unknown as { child?: { pid?: number } }).child?.pid;
      const failed = await exec('echo x; exit 2').catch((error: Error & Record<string, unknown>) =>
        ({ message: error.message, code: error.code, stdout: error.stdout, stderr: error.stderr }));
      return { ok: await ok, hasChild, failed, name: (library.execFile as unknown as Record<symbol, { name: string }>)[util.promisify.custom]!.name };
    });
    expect(actual).toEqual(expected);
  });
});

describe('execSync and execFileSync: the same results and thrown errors', () => {
  it.each([
    ['success', (lib: Library) => lib.execSync('echo hi')],
    ['success with encoding', (lib: Library) => lib.execFileSync('echo', ['hi'], { encoding: 'utf8' })],
    ['input', (lib: Library) => lib.execSync('cat', { input: 'from input' })],
    ['a non-zero exit', (lib: Library) => lib.execSync('echo out; echo err >&2; exit 4', { stdio: 'pipe' })],
    ['a signal', (lib: Library) => lib.execFileSync('sh', ['-c', 'kill -KILL $$'], { stdio: 'pipe' })],
    ['ENOENT', (lib: Library) => lib.execFileSync('/nonexistent/x', ['a'])],
    ['a timeout', (lib: Library) => lib.execFileSync('sleep', ['10'], { timeout: 50 })],
    ['maxBuffer (ENOBUFS)', (lib: Library) => lib.execSync('yes', { maxBuffer: 10, stdio: 'pipe' })],
    ['argv0 in the message', (lib: Library) => lib.execFileSync('false', [], { argv0: 'named' } as object)],
  ] as [string, (lib: Library) => unknown][])('%s', (_name, run) => {
    const outcome = (library: Library): unknown => {
      try {
        const value = run(library);
        return Buffer.isBuffer(value) ? `<Buffer ${value.toString()}>` : value;
      } catch (error) {
        const described = thrownBy(() => {
          throw error;
        }) as Record<string, unknown>;
        const fields = Object.keys(error as object).filter((key) => key !== 'pid');
        if (described.code === 'ENOBUFS') {
          // How much was read before the kill, and whether the child had already exited, is a race.
          const racy = ['stdout', 'stderr', 'status', 'signal'];
          return { described: Object.fromEntries(Object.entries(described).filter(([key]) => !racy.includes(key))), fields };
        }
        return { described, fields, output: util.inspect((error as { output?: unknown }).output) };
      }
    };
    const [[, node], [, ours]] = libraries;
    expect(outcome(ours)).toEqual(outcome(node));
  });

  it('spawnSync: the same result object (keys in order, status, signal, output, encodings)', () => {
    const runs: [string, string[], object][] = [
      ['sh', ['-c', 'echo out; echo err >&2; exit 3'], {}],
      ['sh', ['-c', 'echo out'], { encoding: 'utf8' }],
      ['sh', ['-c', 'kill -TERM $$'], {}],
      ['/nonexistent/x', [], {}],
      ['sleep', ['10'], { timeout: 50 }],
      ['yes', [], { maxBuffer: 10 }],
      ['cat', [], { input: Buffer.from('buffered') }],
      ['sh', ['-c', 'echo $0'], { argv0: 'zero', stdio: ['ignore', 'pipe', 'inherit'] }],
    ];
    for (const [file, args, options] of runs) {
      const [[, node], [, ours]] = libraries;
      // With maxBuffer, what was read before the kill is a race: only the error and the shape compare.
      const racy = 'maxBuffer' in options;
      const shape = (result: Record<string, unknown>): unknown => ({
        keys: Object.keys(result),
        status: racy || result.status,
        signal: racy || result.signal,
        output: racy || util.inspect(result.output),
        error: result.error === undefined ? undefined : thrownBy(() => {
          throw result.error;
        }),
      });
      const expected = shape(node.spawnSync(file, args, options) as unknown as Record<string, unknown>);
      expect(shape(ours.spawnSync(file, args, options) as unknown as Record<string, unknown>), `${file} ${args.join(' ')}`).toEqual(expected);
    }
  });
});

// canfork.spawn/fork against child_process in the same test: the same events, in the same order, with
// the same arguments and error fields.
import { ChildProcess } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as net from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as canfork from '../../src/index';
import { both, recordEvents } from './compare';

const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-events-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('spawn is child_process.ChildProcess', () => {
  it('returns a real ChildProcess (instanceof, prototype, own fields in the constructor order)', async () => {
    const ours = canfork.spawn('true');
    expect(ours).toBeInstanceOf(ChildProcess);
    expect(Object.getPrototypeOf(ours)).toBe(ChildProcess.prototype);
    // Node's constructor sets these fields (one bare ChildProcess, never spawned, made here to read them).
    const ownBeforeSpawn = Object.keys(new ChildProcess());
    expect(Object.keys(ours).slice(0, ownBeforeSpawn.length)).toEqual(ownBeforeSpawn);
    expect(Object.getOwnPropertySymbols(ours).map(String)).toEqual(expect.arrayContaining(['Symbol(kCapture)']));
    await recordEvents(ours);
  });

  it.each([
    ['success, with output on both pipes', ['sh', ['-c', 'echo out; echo err >&2; exit 3']]],
    ['a missing program (ENOENT)', ['/nonexistent/program', ['a', 'b']]],
    ['a missing program on PATH (ENOENT)', ['canfork-no-such-program', []]],
    ['a missing cwd (ENOENT)', ['true', [], { cwd: '/nonexistent/dir' }]],
    ['death by signal', ['sh', ['-c', 'kill -TERM $$']]],
    ['a real-time signal (Node reports exit code 0, no signal)', ['sh', ['-c', 'kill -35 $$']]],
    ['ignored stdio', ['sh', ['-c', 'echo x'], { stdio: 'ignore' }]],
    ['inherited stdin, piped out', ['sh', ['-c', 'echo y'], { stdio: ['inherit', 'pipe', 'pipe'] }]],
    ['an extra pipe at fd 3', ['sh', ['-c', 'echo three >&3'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }]],
    ['shell: true', ['echo $0 "$1"', [], { shell: true }]],
    ['detached', ['true', [], { detached: true }]],
  ] as [string, [string, string[], object?]][])('%s: same events as child_process', async (_name, [file, args, options]) => {
    const [expected, actual] = await both((library) => recordEvents(library.spawn(file, args, options ?? {})));
    expect(actual).toEqual(expected);
  });

  it('EACCES for a file without execute permission: same events', async () => {
    const file = path.join(scratch, 'not-executable');
    writeFileSync(file, '#!/bin/sh\necho no\n', { mode: 0o644 });
    const [expected, actual] = await both((library) => recordEvents(library.spawn(file, ['x'])));
    expect(expected.events[0]).toMatchObject(['error', { code: 'EACCES' }]);
    expect(actual).toEqual(expected);
  });

  it('a killed child: kill() returns the same, then the same events', async () => {
    const [expected, actual] = await both(async (library) => {
      const child = library.spawn('sleep', ['30']);
      const record = recordEvents(child);
      await new Promise((resolve) => child.once('spawn', resolve));
      const results = [child.kill('SIGKILL'), child.killed];
      const events = await record;
      return { results, events, after: child.kill(), exitCode: child.exitCode, signalCode: child.signalCode };
    });
    expect(actual).toEqual(expected);
  });

  it('timeout and AbortSignal: the same kill, the same AbortError', async () => {
    const [expected, actual] = await both(async (library) => {
      const timedOut = await recordEvents(library.spawn('sleep', ['30'], { timeout: 50, killSignal: 'SIGKILL' }));
      const controller = new AbortController();
      const aborted = recordEvents(library.spawn('sleep', ['30'], { signal: controller.signal }));
      setTimeout(() => controller.abort('why'), 50);
      const preAborted = await recordEvents(library.spawn('sleep', ['30'], { signal: AbortSignal.abort() }));
      return { timedOut, aborted: await aborted, preAborted };
    });
    expect(actual).toEqual(expected);
  });

  it('a child with IPC (fork, both serializations): messages, disconnect, exit, close', async () => {
    const script = path.join(scratch, 'echo-child.js');
    writeFileSync(script, "process.on('message', (m) => { process.send({ got: m, big: 2n ** 70n > 0n }); process.disconnect(); });\n");
    for (const serialization of ['json', 'advanced'] as const) {
      const [expected, actual] = await both(async (library) => {
        const child = library.fork(script, [], { serialization });
        const record = recordEvents(child);
        child.send({ hello: [1, 2, 3] });
        return { connected: child.connected, record: await record, after: child.connected };
      });
      expect(actual).toEqual(expected);
    }
  });

  it("another child's stream as stdin, and a net.Socket as stdout", async () => {
    const [expected, actual] = await both(async (library) => {
      const producer = library.spawn('sh', ['-c', 'echo piped through']);
      const consumer = library.spawn('tr', ['a-z', 'A-Z'], { stdio: [producer.stdout!, 'pipe', 'pipe'] });
      const [first, second] = await Promise.all([recordEvents(producer), recordEvents(consumer)]);
      return { first, second };
    });
    expect(actual.second.stdout).toBe('PIPED THROUGH\n');
    expect(actual).toEqual(expected);
  });

  it('[Symbol.dispose] kills a running child with SIGTERM', async () => {
    const [expected, actual] = await both(async (library) => {
      const child = library.spawn('sleep', ['30']);
      const record = recordEvents(child);
      await new Promise((resolve) => child.once('spawn', resolve));
      child[Symbol.dispose]();
      return { killed: child.killed, record: await record };
    });
    expect(actual.record.events).toContainEqual(['exit', null, 'SIGTERM']);
    expect(actual).toEqual(expected);
  });

  it("keeps the caller's AsyncLocalStorage context in 'exit' and 'close' listeners", async () => {
    const storage = new AsyncLocalStorage<string>();
    const [expected, actual] = await both((library) => storage.run('the caller', () => new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const child = library.spawn('true');
      child.on('exit', () => seen.push(`exit:${storage.getStore()}`));
      child.on('close', () => resolve([...seen, `close:${storage.getStore()}`]));
    })));
    expect(expected).toEqual(['exit:the caller', 'close:the caller']);
    expect(actual).toEqual(expected);
  });

  it('ref/unref: an unref()ed child does not keep the loop alive, as with child_process', () => {
    for (const modulePath of ['node:child_process', require.resolve('../../dist/index.js')]) {
      // With the child still holding the loop, node would wait out the 60 s sleep and hit the 30 s timeout.
      const script = `const c = require(${JSON.stringify(modulePath)}).spawn('sleep', ['60'], { stdio: 'ignore' });
        c.unref(); process.on('exit', () => { process.kill(c.pid); console.log('left', c.exitCode); });`;
      const output = canfork.execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect(output, modulePath).toBe('left null\n');
    }
  });

  it('a net.Socket as stdout', async () => {
    const socketPath = path.join(scratch, 'stdout.sock');
    const [expected, actual] = await both(async (library) => {
      rmSync(socketPath, { force: true });
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      const client = net.connect(socketPath);
      const serverSide = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
      let received = '';
      client.on('data', (chunk) => (received += chunk.toString()));
      const ended = new Promise((resolve) => client.on('end', resolve));
      const record = await recordEvents(library.spawn('sh', ['-c', 'echo through the socket'], { stdio: ['ignore', serverSide, 'pipe'] }));
      serverSide.end();
      await ended;
      client.destroy();
      server.close();
      return { record, received };
    });
    expect(actual.received).toBe('through the socket\n');
    expect(actual).toEqual(expected);
  });

  it('a script without #! runs under /bin/sh, as with child_process', async () => {
    const script = path.join(scratch, 'no-shebang');
    writeFileSync(script, 'echo "ran by sh with $1"\n');
    chmodSync(script, 0o755);
    const [expected, actual] = await both((library) => recordEvents(library.spawn(script, ['arg'])));
    expect(expected.stdout).toBe('ran by sh with arg\n');
    expect(actual).toEqual(expected);
  });
});

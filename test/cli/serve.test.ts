// `canfork --serve` under load and hostile clients, with real sockets on 127.0.0.1 (bounded in count and
// time): concurrent scrapes share scans, a pipelining client that never reads is cut off, slow connections
// cannot lock out a real scrape even at nofile 256, and SIGTERM ends it with a half-sent request open.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath } from './processes';
import { cpuSeconds, httpRequest, rssBytes, sample, startServer, type RunningServer } from './server';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function threadsOf(pid: number): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

function childrenOf(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter((c) => c.trim() !== ''));
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when the socket is closed by the other side (or fails), or after `ms`; true if it closed. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('canfork --serve', () => {
  it('200 concurrent scrapes all get 200 and share a few scans', async () => {
    server = await startServer();
    await httpRequest(server.url.replace(/metrics$/, '')); // the server is up, nothing scanned yet
    const threadsBefore = threadsOf(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const replies = await Promise.all(Array.from({ length: 200 }, () => httpRequest(server!.url)));
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    // Diagnose without the resource diagnosed: no process or thread is made to scan or to answer.
    expect(threadsOf(server.pid)).toBe(threadsBefore);
    expect(childrenOf(server.pid)).toEqual([]);
    expect(replies.map((reply) => reply.status)).toEqual(Array(200).fill(200));
    const scans = sample(replies[0]!.body, 'canfork_scans_total');
    const latest = Math.max(...replies.map((reply) => sample(reply.body, 'canfork_scans_total')));
    const scanSeconds = sample(replies[0]!.body, 'canfork_scan_duration_seconds');
    console.log(`200 concurrent scrapes: ${latest} scan(s), server CPU ${cpu.toFixed(2)} s, one scan ${(scanSeconds * 1000).toFixed(1)} ms`);
    expect(scans).toBeGreaterThanOrEqual(1);
    expect(latest).toBeLessThanOrEqual(3); // a scan younger than --min-interval (1 s) answers the rest
  });

  it('with --min-interval 0, scrapes that arrive during a scan wait for it (single flight)', async () => {
    server = await startServer(['--min-interval', '0']);
    const replies = await Promise.all(Array.from({ length: 200 }, () => httpRequest(server!.url)));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    // How many replies each scan served. How many scans there are depends on how fast one scan is against how
    // the 200 connections trickle in (and the 64-connection pool); what single flight guarantees is that
    // requests arriving during a scan share it: without it every reply would carry a scan of its own.
    const servedBy = new Map<number, number>();
    for (const reply of replies) {
      const scan = sample(reply.body, 'canfork_scans_total');
      servedBy.set(scan, (servedBy.get(scan) ?? 0) + 1);
    }
    const mostShared = Math.max(...servedBy.values());
    console.log(`200 concurrent scrapes, --min-interval 0: ${servedBy.size} scan(s), at most ${mostShared} replies from one`);
    expect(servedBy.size).toBeLessThan(200);
    expect(mostShared).toBeGreaterThanOrEqual(5);
  });

  it('HEAD answers without scanning; / links /metrics; other paths 404, other methods 405', async () => {
    server = await startServer(['--min-interval', '0']);
    const first = await httpRequest(server.url);
    for (let i = 0; i < 5; i++) {
      const head = await httpRequest(server.url, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(head.body).toBe('');
    }
    const second = await httpRequest(server.url);
    expect(sample(second.body, 'canfork_scans_total')).toBe(sample(first.body, 'canfork_scans_total') + 1);
    const index = await httpRequest(server.url.replace(/metrics$/, ''));
    expect(index.status).toBe(200);
    expect(index.body).toContain('<a href="/metrics">');
    expect((await httpRequest(server.url.replace(/metrics$/, 'nope'))).status).toBe(404);
    const post = await httpRequest(server.url, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await httpRequest(server.url, 'DELETE')).status).toBe(405);
  });

  it('a client that pipelines 2000 GETs and never reads is cut off; memory and scans stay bounded', async () => {
    server = await startServer();
    await httpRequest(server.url); // warm: the first scan and the JIT
    const rssBefore = rssBytes(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const socket = await openSocket(server.port);
    socket.pause(); // never reads a byte
    socket.on('error', () => undefined);
    const requests = 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(2000);
    socket.write(requests);
    expect(await closedWithin(socket, 30_000)).toBe(true);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const rssGrowth = rssBytes(server.pid) - rssBefore;
    const after = await httpRequest(server.url);
    expect(after.status).toBe(200);
    console.log(`pipelining non-reader (${requests.length} bytes): cut off; server CPU ${cpu.toFixed(2)} s, RSS +${(rssGrowth / 2 ** 20).toFixed(1)} MiB`);
    expect(sample(after.body, 'canfork_connections_closed_total')).toBeGreaterThanOrEqual(1);
    expect(sample(after.body, 'canfork_scans_total')).toBeLessThanOrEqual(3);
    expect(rssGrowth).toBeLessThan(32 * 2 ** 20);
  });

  it('at nofile 256, 400 slow connections do not lock out a normal scrape', async () => {
    server = await startServer([], { nofile: 256 });
    expect(readFileSync(`/proc/${server.pid}/limits`, 'utf8')).toMatch(/^Max open files\s+256\s+256\s+files/m);
    const slow: Socket[] = [];
    try {
      for (let i = 0; i < 400; i++) {
        const socket = await openSocket(server.port);
        socket.on('error', () => undefined);
        socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // the headers never end
        slow.push(socket);
      }
      const reply = await httpRequest(server.url);
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('canfork_processes{verdict="ok"}');
      const open = slow.filter((socket) => !socket.destroyed).length;
      console.log(`nofile 256: ${open} of 400 slow connections still open; a normal scrape got 200`);
      expect(sample(reply.body, 'canfork_connections_closed_total')).toBeGreaterThan(0);
    } finally {
      for (const socket of slow) socket.destroy();
    }
  });

  it('SIGTERM with a half-sent request open: exits 0 within 5 s', async () => {
    server = await startServer();
    const socket = await openSocket(server.port);
    socket.on('error', () => undefined);
    socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const outcome = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 5_000))]);
    socket.destroy();
    expect(outcome).toEqual([0, null]);
  });

  it('--host empty or unparsable is a usage error; a non-loopback address is named in a warning', async () => {
    for (const host of ['', '0', 'not an address', '999.1.1.1']) {
      const result = spawnSync(process.execPath, [cliPath, '--serve', '0', '--host', host], { encoding: 'utf8', timeout: 20_000 });
      expect(result.status, `--host '${host}'`).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    server = await startServer(['--host', '::1']);
    expect(server.stderr()).not.toContain('warning');
    await server.stop();
    // Bound to every interface for a moment, with nothing sent to it.
    const everywhere = spawnSync('sh', ['-c', `exec "${process.execPath}" "${cliPath}" --serve 0 --host 0.0.0.0 & pid=$!; sleep 2; kill -TERM $pid; wait $pid`],
      { encoding: 'utf8', timeout: 20_000 });
    expect(everywhere.stderr).toMatch(/^canfork: warning: listening on 0\.0\.0\.0, which is not a loopback address/m);
    expect(everywhere.status).toBe(0);
  });

  it('a port already in use is one line on stderr and exit 3', async () => {
    server = await startServer();
    const result = spawnSync(process.execPath, [cliPath, '--serve', String(server.port)], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(3);
    expect(result.stderr).toBe(`canfork: cannot listen on 127.0.0.1 port ${server.port}: EADDRINUSE\n`);
  });

  it('--serve PID checks the pids at start, as the one-shot mode does', () => {
    const result = spawnSync(process.execPath, [cliPath, '--serve', '0', '4194303'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('canfork: no process 4194303 (ESRCH)\n');
  });
});

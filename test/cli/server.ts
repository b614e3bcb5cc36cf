// The built `canfork --serve` as a child process on 127.0.0.1, and plain HTTP and socket clients for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { cliPath } from './processes';

export interface RunningServer {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:PORT/metrics */
  url: string;
  port: number;
  stderr(): string;
  /** SIGKILL if still running, and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `canfork --serve 0 ...args` on 127.0.0.1; with `nofile`, under that RLIMIT_NOFILE (soft and hard). */
export async function startServer(args: string[] = [], { nofile }: { nofile?: number } = {}): Promise<RunningServer> {
  const command = [process.execPath, cliPath, '--serve', '0', ...args];
  const child = nofile === undefined
    ? spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    // The shell sets the limit and becomes the server (exec): the pid is the server's.
    : spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    log += text;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const match = /serving (http:\/\/\S+:(\d+)\/metrics)/.exec(log);
    if (match) return { child, pid: child.pid!, url: match[1]!, port: Number(match[2]), stderr: () => log, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stop();
  throw new Error(`canfork --serve did not start: ${log}`);
}

/** CPU seconds (user + system) the process has used, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** VmRSS in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const oneShot = new Agent({ keepAlive: false, maxSockets: Infinity });

/** One HTTP request on a connection of its own. */
export function httpRequest(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent: oneShot }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      }).on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on('error', reject).end();
  });
}

/** The value of an unlabelled sample in an exposition text. */
export function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no ${name} in:\n${text.slice(0, 2000)}`);
  return Number(match[1]);
}

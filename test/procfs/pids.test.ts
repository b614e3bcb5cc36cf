// Pid numbers in use, counted over the real /proc: thread ids, and process groups and sessions that outlive
// their leaders.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { countPidsInUse, parseStatGroupIds } from '../../src/procfs/pids';

describe('parseStatGroupIds', () => {
  it('reads fields 5 and 6 after a command name holding spaces and parentheses', () => {
    expect(parseStatGroupIds('4242 (a) b (c)) S 1 4200 4100 0 -1 4194560 0 0\n')).toEqual({ processGroup: 4200, session: 4100 });
    // A task being reaped (captured in CI: a churning machine's /proc/PID/stat in state X).
    expect(parseStatGroupIds('26949 (sh) X 0 -1 -1 0 -1 4227084 99 0 0 0 0 0 0 0 20 0 0 0 243789 0\n')).toEqual({ processGroup: -1, session: -1 });
    const [processGroup, session] = execFileSync('ps', ['-o', 'pgid=,sid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    expect(parseStatGroupIds(readFileSync('/proc/self/stat', 'utf8'))).toEqual({ processGroup, session });
  });

  it('malformed text is a ProcfsParseError', () => {
    for (const text of ['', '4242 (a S 1 2 3', '4242 (a) S 1', '4242 (a) S 1 x 3']) {
      expect(() => parseStatGroupIds(text, '/proc/4242/stat')).toThrow(ProcfsParseError);
    }
  });
});

describe('countPidsInUse', () => {
  it('counts every thread of this process, and nothing outside the range', () => {
    const threads = readFileSync('/proc/self/status', 'utf8').match(/^Threads:\t(\d+)$/m)![1];
    expect(countPidsInUse(process.pid, process.pid + 1)).toBe(1);
    expect(countPidsInUse(1, 2 ** 22)).toBeGreaterThanOrEqual(Number(threads));
    expect(countPidsInUse(5, 5)).toBe(0);
  });

  it('a session whose leader has exited still holds the leader\'s pid', async () => {
    // sh leads a new session, starts sleep in it, and exits: no task has sh's pid, sleep's session and group do.
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const sleeperPid = Number(await new Promise<string>((resolve) => shell.stdout!.once('data', (data: Buffer) => resolve(String(data)))));
    await new Promise((resolve) => shell.once('exit', resolve));
    try {
      const leader = shell.pid!;
      expect(parseStatGroupIds(readFileSync(`/proc/${sleeperPid}/stat`, 'utf8'))).toEqual({ processGroup: leader, session: leader });
      expect(() => readFileSync(`/proc/${leader}/stat`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(countPidsInUse(leader, leader + 1)).toBe(1);
    } finally {
      process.kill(sleeperPid, 'SIGKILL');
    }
  });
});

// canFork() on every process of the machine, over and over, while processes come and go: a pid that
// vanishes mid-read gives ESRCH (never ENOENT, a parse error or a crash), and a process that does not
// vanish gets a well-formed report. Our own short-lived children must never be judged 'fails' while
// this process, with far more memory and the same limits, is not.
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canFork, spawn, type ForkReport } from '../../src/index';
import { settle, zombieChildren } from './helpers';

describe('canFork on a churning machine', () => {
  it('every pid, 20 passes, while a shell starts and ends 40 processes at a time: a report or ESRCH, nothing else', async () => {
    // The reads below are synchronous: the churn that makes pids vanish mid-read runs in another process.
    const churner = cpSpawn('sh', ['-c', 'while :; do for i in 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0; do sleep 0.00$i & done; wait; done'], { stdio: 'ignore' });
    const ours = new Set<number>();
    let churning = true;
    let started = 0;
    const churn = (async () => {
      while (churning) {
        const batch = Array.from({ length: 30 }, (_, i) => spawn('sleep', [`0.0${i % 10}`], { stdio: 'ignore' }));
        for (const child of batch) if (child.pid !== undefined) ours.add(child.pid);
        started += batch.length;
        await Promise.all(batch.map((child) => new Promise((resolve) => child.once('exit', resolve))));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const outcomes = { reports: 0, esrch: 0, ourReports: 0, exact: 0 };
    const unexpected: string[] = [];
    const self = canFork();
    try {
      for (let pass = 0; pass < 20; pass++) {
        const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
        for (const pid of [...pids, ...ours]) {
          let report: ForkReport;
          try {
            report = canFork({ pid, exact: pass % 2 === 1 });
          } catch (error) {
            const { code, syscall } = error as { code?: string; syscall?: string };
            if (code === 'ESRCH') outcomes.esrch++;
            else unexpected.push(`pid ${pid}: ${String(error)} (code ${code}, syscall ${syscall})`);
            continue;
          }
          outcomes.reports++;
          if (pass % 2 === 1) outcomes.exact++;
          if (report.pid !== pid || report.ok !== (report.reasons.length === 0) || !['ok', 'at-risk', 'unknown', 'fails'].includes(report.verdict)) {
            unexpected.push(`pid ${pid}: malformed report ${JSON.stringify({ pid: report.pid, ok: report.ok, verdict: report.verdict, reasons: report.reasons })}`);
          }
          if (ours.has(pid)) {
            outcomes.ourReports++;
            if (report.verdict === 'fails' && self.verdict !== 'fails') {
              unexpected.push(`our child ${pid} judged to fail: ${JSON.stringify(report.reasons)}`);
            }
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      churning = false;
      await churn;
      churner.kill('SIGKILL');
      await once(churner, 'exit');
    }
    console.log(`canFork churn: ${JSON.stringify(outcomes)}, ${started} children started meanwhile`);
    expect(unexpected.slice(0, 10)).toEqual([]);
    expect(outcomes.esrch).toBeGreaterThan(0); // the churn really made pids vanish under us
    expect(outcomes.reports).toBeGreaterThan(100);
    expect(await settle(zombieChildren, (zombies) => zombies.length === 0)).toEqual([]);
  });
});

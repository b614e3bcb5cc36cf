// The exit status means one thing, in every way the command can end: 0 all can fork, 1 at least one cannot,
// 2 usage, 3 the output could not be written (one line on stderr, no stack trace). A closed pipe or a
// signal ends --watch with the status of its last scan. Each case is a real run of the built command.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, startStuckChild, type StuckChild } from './processes';

const mode0 = readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() === '0';
if (!mode0) console.log('skipped: the cannot-fork cases need vm.overcommit_memory=0');

const table: string[] = [];

function shell(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', script], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', CANFORK: `${process.execPath} ${cliPath}` },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function record(what: string, status: number | null, stderr: string): void {
  table.push(`| ${what} | ${status} | ${stderr.trimEnd().split('\n').join(' / ') || '(none)'} |`);
}

function expectOneLine(stderr: string): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
}

afterAll(() => {
  if (table.length > 0) console.log(['| run | exit | stderr |', '|---|---|---|', ...table].join('\n'));
});

describe('exit statuses of real runs', () => {
  it('0: every process checked can fork', () => {
    const run = shell(`$CANFORK ${process.pid} >/dev/null`);
    record(`canfork ${process.pid} (this test)`, run.status, run.stderr);
    expect(run.status).toBe(0);
  });

  it('2: usage errors, even when stderr itself cannot be written', () => {
    const bogus = shell('$CANFORK --bogus');
    record('canfork --bogus', bogus.status, bogus.stderr);
    expect(bogus.status).toBe(2);
    expectOneLine(bogus.stderr);
    const full = shell('$CANFORK --bogus 2>/dev/full');
    record('canfork --bogus 2>/dev/full', full.status, full.stderr);
    expect(full.status).toBe(2);
  });

  it('3: stdout is /dev/full: one line on stderr, no stack trace', () => {
    const run = shell(`$CANFORK ${process.pid} >/dev/full`);
    record(`canfork ${process.pid} >/dev/full`, run.status, run.stderr);
    expect(run.status).toBe(3);
    expectOneLine(run.stderr);
    expect(run.stderr).toMatch(/^canfork: cannot write the output: .*ENOSPC/);
    const json = shell('$CANFORK --json >/dev/full');
    expect(json.status).toBe(3);
  });

  describe.runIf(mode0)('with a process that cannot fork (a merged VMA larger than RAM + swap)', () => {
    let stuck: StuckChild;
    beforeAll(async () => {
      stuck = await startStuckChild();
    }, 120_000);
    afterAll(async () => {
      await stuck?.stop();
    });

    it('1: at least one cannot fork', () => {
      const run = shell(`$CANFORK ${stuck.pid} >/dev/null`);
      record(`canfork STUCK`, run.status, run.stderr);
      expect(run.status).toBe(1);
    });

    it('a closed pipe ends the output with the scan\'s status, not an error', () => {
      // `head -c 1` exits after one byte; the rest of the report meets a closed pipe (EPIPE).
      const run = shell(`$CANFORK --all ${stuck.pid} | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`);
      record('canfork --all STUCK | head -c 1', Number(run.stdout.trim()), run.stderr);
      expect(run.stdout.trim()).toBe('1');
      expect(run.stderr).toBe('');
    });

    it('--watch | head exits with the last scan\'s status', () => {
      for (const format of ['', '--json']) {
        const run = shell(`$CANFORK --watch 0.2 ${format} ${stuck.pid} | head -n 3 >/dev/null; echo "\${PIPESTATUS[0]}"`);
        record(`canfork --watch 0.2 ${format} STUCK | head -n 3`.replace(/ +/g, ' '), Number(run.stdout.trim()), run.stderr);
        expect(run.stdout.trim()).toBe('1');
        expect(run.stderr).toBe('');
      }
    });

    it('--watch ended by SIGTERM or SIGINT exits with the last scan\'s status', async () => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const child = spawn(process.execPath, [cliPath, '--watch', '0.2', String(stuck.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (text: string) => {
          stderr += text;
        });
        child.stdout.resume();
        await once(child.stdout, 'data');
        const exited = once(child, 'exit');
        child.kill(signal);
        const [code] = await exited;
        record(`canfork --watch 0.2 STUCK, then ${signal}`, code as number, stderr);
        expect(code).toBe(1);
        expect(stderr).toBe('');
      }
    });

    it('--watch ended by a signal when every process can fork exits 0', async () => {
      const child = spawn(process.execPath, [cliPath, '--watch', '0.2', String(process.pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.resume();
      await once(child.stdout, 'data');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    });
  });
});

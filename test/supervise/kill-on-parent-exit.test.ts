// killOnParentExit: PR_SET_PDEATHSIG(SIGKILL) in the child. A Node parent that is SIGKILLed (no exit
// handler runs) leaves no child behind; without the option the child lives on. The kernel ties it to the
// thread that created the child: a worker thread's end kills the children that worker spawned.
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, killTracked, track, waitUntil, type TrackedProcess } from './tree.cjs';

const dist = resolve(__dirname, '../../dist/index.js');

/** A Node process that runs `code` (with canfork as `canfork`) and prints one pid; resolves with both. */
async function parentPrinting(code: string): Promise<{ parent: ReturnType<typeof nodeSpawn>; child: TrackedProcess }> {
  const parent = nodeSpawn(process.execPath, ['-e', `const canfork = require(${JSON.stringify(dist)}); ${code}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  parent.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitUntil(() => /^\d+\n/.test(text), 10_000, 5);
  return { parent, child: track('sleep', Number(text.trim()))! };
}

describe('killOnParentExit', () => {
  for (const withOption of [true, false]) {
    it(`a SIGKILLed Node parent ${withOption ? 'leaves no' : 'leaves its'} \`sleep 60\` ${withOption ? '(killOnParentExit)' : '(without the option)'}`, async () => {
      const { parent, child } = await parentPrinting(
        `const c = canfork.spawn('sleep', ['60'], { stdio: 'ignore', killOnParentExit: ${withOption} }); console.log(c.pid); setInterval(() => {}, 1000);`,
      );
      try {
        expect(alive(child)).toBe(true);
        parent.kill('SIGKILL');
        await once(parent, 'exit');
        const gone = await waitUntil(() => !alive(child), withOption ? 2000 : 300);
        expect(gone).toBe(withOption);
      } finally {
        killTracked([child]);
      }
    });
  }

  it('holds for a child that drops to another user (the signal is set after setuid, which would clear it)', async () => {
    const { parent, child } = await parentPrinting(
      "const c = canfork.spawn('sleep', ['60'], { stdio: 'ignore', uid: 65534, gid: 65534, killOnParentExit: true }); console.log(c.pid); setInterval(() => {}, 1000);",
    );
    try {
      expect(readFileSync(`/proc/${child.pid}/status`, 'utf8')).toMatch(/^Uid:\t65534\t/m);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      expect(await waitUntil(() => !alive(child), 2000)).toBe(true);
    } finally {
      killTracked([child]);
    }
  });

  it("a worker thread's end counts as the parent's exit (the kernel follows the creating thread)", async () => {
    const worker = `
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`const canfork = require(${JSON.stringify(dist)});
        const c = canfork.spawn('sleep', ['60'], { stdio: 'ignore', killOnParentExit: true });
        require('node:worker_threads').parentPort.postMessage(c.pid);\`, { eval: true });
      w.on('message', (pid) => { console.log(pid); setTimeout(() => w.terminate(), 100); });
      setInterval(() => {}, 1000);`;
    const { parent, child } = await parentPrinting(worker);
    try {
      expect(await waitUntil(() => !alive(child), 3000)).toBe(true);
      expect(parent.exitCode).toBe(null);
    } finally {
      killTracked([child]);
      parent.kill('SIGKILL');
    }
  });
});

// Nested pid namespaces for real: a namespace whose own kernel.pid_max is 320, filled with unreaped zombies. From
// the host, canFork({ pid }) judges the namespace's level by its own numbers; inside, canFork() agrees; the task
// trial asks the kernel. Needs only root and unshare: no host state changes (pid_max is per pid namespace).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canFork } from '../../src/index';
import { childrenOf, namespaceSkipReason, useNamespaces, zombieChildrenOf } from './pid-namespace';

const skip = namespaceSkipReason();
if (skip) console.log(`skipping: ${skip}`);
const startNamespace = useNamespaces();
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe.skipIf(skip !== '')(`a pid namespace with pid_max 320 filled by zombies${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('from the host: the level is named and judged by its own numbers; fails with the trial, ok once reaped', async () => {
    const ns = await startNamespace(320);
    expect(ns.made).toMatch(/^made \d+ EAGAIN$/);
    expect(await ns.parent('fork')).toBe('fork EAGAIN');
    const zombies = zombieChildrenOf(ns.parentPid);
    expect(zombies).toBeGreaterThan(300);

    // The model alone: every pid from 300 to 319 is in use there, but that namespace's pid_max can only be read
    // from inside it, so the verdict is unknown (never ok), and the warning names the namespace.
    const model = canFork({ pid: ns.parentPid });
    expect(model.verdict).toBe('unknown');
    expect(model.tasks.pids.levels).toEqual([
      expect.objectContaining({ level: 0, pid: ns.parentPid, pidMaxSource: 'sysctl' }),
      expect.objectContaining({ level: 1, namespace: ns.namespace, pid: ns.parentNamespacePid, pidMax: null, inRange: 20, firstFreeFrom300: 320, counted: true }),
    ]);
    expect(model.tasks.pids.levels![1]!.inUse).toBeGreaterThanOrEqual(zombies + 2);
    expect(model.warnings).toContainEqual(expect.objectContaining({ cause: 'pid-max-unknown', message: expect.stringContaining(`pid:[${ns.namespace}] (level 1`) }));
    expect(model.warnings.find((w) => w.cause === 'pid-max-unknown')?.message).toContain('kernel.pid_max is 320 or less');
    expect(model.tasks.holders?.zombieParents[0]).toEqual({ pid: ns.parentPid, comm: 'perl', count: zombies });
    expect(model.tasks.holders?.scope).toBe(`pid:[${ns.namespace}]`);

    // The trial: the kernel refuses the task in that namespace, which settles the level.
    const fdsBefore = openFds();
    const tried = canFork({ pid: ns.parentPid, trial: true });
    expect(openFds()).toBe(fdsBefore);
    expect(tried, JSON.stringify({ trial: tried.trial?.tasks, warnings: tried.warnings })).toMatchObject({ ok: false, verdict: 'fails' });
    expect(tried.trial?.tasks).toMatchObject({ ran: true, ok: false, code: 'EAGAIN', namespace: ns.namespace });
    expect(tried.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'pid-max', limit: 20, value: 21 })]);
    expect(tried.reasons[0]!.message).toContain(`pid namespace pid:[${ns.namespace}] (level 1, where the process is pid ${ns.parentNamespacePid})`);
    expect(tried.warnings.filter((w) => w.cause === 'pid-max-unknown' || w.cause === 'trial-disagrees')).toEqual([]);
    expect(zombieChildrenOf(ns.parentPid)).toBe(zombies); // the trial touched nothing
    expect(childrenOf(process.pid)).toEqual([ns.unsharePid]); // and left no task of its own

    // Reaped: pid 300 is free there, so no pid_max can fail it, and the model says ok without asking.
    expect(await ns.parent('reap')).toBe(`reaped ${zombies}`);
    const reaped = canFork({ pid: ns.parentPid });
    expect(reaped).toMatchObject({ ok: true, verdict: 'ok' });
    expect(reaped.tasks.pids.levels![1]).toMatchObject({ firstFreeFrom300: 300, inRange: 0 });
    expect(await ns.parent('fork')).toBe('fork ok');
    // The trial now gets a task in, which reads that namespace's pid_max from inside; the model uses it.
    const trialOk = canFork({ pid: ns.parentPid, trial: true });
    expect(trialOk).toMatchObject({ ok: true, verdict: 'ok' });
    expect(trialOk.trial?.tasks).toMatchObject({ ran: true, ok: true, pidMax: 320, namespace: ns.namespace });
    expect(trialOk.tasks.pids.levels![1]).toMatchObject({ pidMax: 320, pidMaxSource: 'trial', rangeSize: 20, inRange: 0 });
    expect(openFds()).toBe(fdsBefore);
    expect(childrenOf(process.pid)).toEqual([ns.unsharePid]);
  });

  it('inside: canFork() of the init agrees with the real fork, and shows the numbers that decided', async () => {
    const ns = await startNamespace(320);
    expect(await ns.parent('fork')).toBe('fork EAGAIN');
    const inside = await ns.canForkInside();
    expect(inside).toMatchObject({ pid: 1, ok: false, verdict: 'fails' });
    expect(inside.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'pid-max', limit: 20, value: 21 })]);
    // Only level 0 here: its /proc is the namespace's own. The numbers shown are the rule's: 20 of the 20 pids 300..319.
    expect(inside.tasks.pids).toMatchObject({ current: 20, max: 320 });
    expect(inside.tasks.pids.levels).toEqual([expect.objectContaining({ level: 0, pid: 1, pidMax: 320, rangeSize: 20, inRange: 20, counted: true, firstFreeFrom300: 320 })]);
    const ofParent = await ns.canForkInside({ pid: ns.parentNamespacePid });
    expect(ofParent.tasks.holders?.zombieParents[0]).toMatchObject({ pid: ns.parentNamespacePid, comm: 'perl' });

    expect(await ns.parent('reap')).toMatch(/^reaped \d+$/);
    const after = await ns.canForkInside();
    expect(after).toMatchObject({ ok: true });
    expect(after.tasks.pids.levels![0]).toMatchObject({ inRange: 0, rangeSize: 20 });
    expect(await ns.parent('fork')).toBe('fork ok');
  });
});

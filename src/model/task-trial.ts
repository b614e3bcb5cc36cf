// The task trial beside the model: where the kernel's answer settles what the model could not know (a nested
// namespace's pid_max), it decides; where the two disagree, a warning says so. Pure.
import { levelName, RESERVED_PIDS } from './pid-namespaces';
import type { ForkCause, TaskTrialReport } from './report';
import type { TasksDecision } from './tasks';

function coveredCauses(trial: TaskTrialReport): Set<ForkCause> {
  const causes = new Set<ForkCause>(['pid-max', 'threads-max']);
  if (trial.cgroup === 'trial') causes.add('cgroup-pids');
  return causes;
}

export function reconcileTaskTrial(decision: TasksDecision, trial: TaskTrialReport): TasksDecision {
  const reasons = [...decision.reasons];
  let warnings = [...decision.warnings];
  let unknown = decision.unknown;
  let pidDeciding = decision.pidDeciding;
  const covered = coveredCauses(trial);
  const modelFails = reasons.some((reason) => covered.has(reason.cause));
  const undecidedNames = decision.pidUndecided.map(levelName);
  const dropUndecidedWarnings = (): void => {
    warnings = warnings.filter((warning) => !decision.pidUndecidedWarnings.includes(warning));
    unknown = false;
  };
  if (!trial.ran) {
    warnings.push({ cause: 'trial-skipped', message: `the task trial did not run: ${trial.skipped ?? 'unknown reason'}` });
  } else if (trial.ok === false && trial.code === 'EAGAIN') {
    if (!modelFails && decision.pidUndecided.length > 0) {
      // Every other check the clone made has room by the model's own numbers: what refused it is pid_max at a
      // level the model could not judge. With the first free pid from 300 at F there, its pid_max is at most F.
      dropUndecidedWarnings();
      [pidDeciding = decision.pidDeciding] = decision.pidUndecided;
      for (const level of decision.pidUndecided) {
        const firstFree = level.firstFreeFrom300 ?? RESERVED_PIDS;
        reasons.push({
          code: 'EAGAIN', cause: 'pid-max',
          message: `the task trial got EAGAIN from the kernel in ${levelName(level)}, where every pid from ${RESERVED_PIDS} to ${firstFree - 1} ` +
            `is in use and threads-max and the pids cgroup have room: its kernel.pid_max is at most ${firstFree}`,
          limit: Math.max(1, firstFree - RESERVED_PIDS),
          value: level.inRange + 1,
        });
      }
    } else if (!modelFails) {
      warnings.push({ cause: 'trial-disagrees', message: `the task trial got EAGAIN from the kernel although the model finds room for ${[...covered].join(', ')}` });
    }
  } else if (trial.ok === false) {
    warnings.push({
      cause: 'trial-inconclusive',
      message: `the task trial got ${trial.code ?? 'an error'}: the target's pid namespace has lost its init (a fork there fails with ENOMEM too), or this process's own memory could not be copied`,
    });
  } else if (trial.ok === true) {
    if (modelFails) {
      warnings.push({ cause: 'trial-disagrees', message: `the task trial created a task although the model says ${reasons.filter((r) => covered.has(r.cause)).map((r) => r.cause).join(', ')} fails (the counts may have moved)` });
    } else if (decision.pidUndecided.length > 0) {
      // The kernel found a free pid at every level, the undecided ones included.
      dropUndecidedWarnings();
      warnings.push({ cause: 'trial-decided', message: `the task trial found a free pid in ${undecidedNames.join(', ')}` });
    }
  }
  return { ...decision, reasons, warnings, unknown, pidDeciding };
}

export interface TrackedProcess {
  name: string;
  pid: number;
  startTime: string;
}

export function alive(process: TrackedProcess): boolean;
export function track(name: string, pid: number): TrackedProcess | null;
export function killTracked(processes: TrackedProcess[]): void;
export function waitUntil(condition: () => boolean, timeoutMs: number, stepMs?: number): Promise<boolean>;
export const SIX: readonly ['background', 'setsid', 'setpgid', 'term-ignoring', 'double-forked', 'setsid-term-ignoring'];
export function sixProcessScript(report: string): string;
export function sixProcessReport(): { path: string; read: () => Promise<TrackedProcess[]>; cleanup: () => void };

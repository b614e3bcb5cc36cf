// Signal names and numbers as Node names them (os.constants.signals), both ways.
import { constants } from 'node:os';
import type { CodedError } from './errors';

const signalNumbers = constants.signals as Record<string, number>;
const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(signalNumbers)) {
  // SIGIOT/SIGABRT and SIGPOLL/SIGIO share numbers: the first listed (Node's order) wins.
  if (!signalNames.has(number)) signalNames.set(number, name as NodeJS.Signals);
}

function unknownSignal(signal: unknown): TypeError & CodedError {
  return Object.assign(new TypeError(`Unknown signal: ${String(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' });
}

/** Node's convertToValidSignal: a known name (any case) or number; TypeError ERR_UNKNOWN_SIGNAL otherwise. */
export function signalNumber(signal: unknown): number {
  if (typeof signal === 'number' && signalNames.has(signal)) return signal;
  if (typeof signal === 'string') {
    const number = signalNumbers[signal.toUpperCase()];
    if (number !== undefined) return number;
  }
  throw unknownSignal(signal);
}

/** 'SIGTERM' for 15; null for a number Node has no name for (real-time signals). */
export function signalName(signal: number): NodeJS.Signals | null {
  return signalNames.get(signal) ?? null;
}

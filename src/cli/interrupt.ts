/**
 * Interruptions while the CLI holds a temporary output file: SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT remove every registered temporary file and end the process with 128 + the
 * signal's number (130, 143, 129, 131), as a shell reports a process killed by it.
 *
 * Handlers are installed only while something is registered, so a command that writes no
 * file keeps Node's default reaction to signals. While a commit is under way (the rename
 * or in-place copy that publishes a finished file) a signal is held back and acted on as
 * soon as the commit is done: the output is then complete, never half-replaced.
 */
import { constants } from 'node:os';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** The exit code for a signal: 128 + its number. */
export function signalExitCode(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

const cleanups = new Set<() => void>();
let commits = 0;
let held: InterruptSignal | undefined;

function onSignal(signal: InterruptSignal): void {
  if (commits > 0) {
    held ??= signal;
    return;
  }
  exitFor(signal);
}

function exitFor(signal: InterruptSignal): never {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Removing a temporary file is best effort once we are going down.
    }
  }
  process.exit(signalExitCode(signal));
}

const listeners = new Map<InterruptSignal, () => void>(INTERRUPT_SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  for (const [signal, listener] of listeners) process.on(signal, listener);
}

function uninstall(): void {
  for (const [signal, listener] of listeners) process.off(signal, listener);
}

/**
 * Run `cleanup` (synchronous: the process exits right after) if a signal interrupts the
 * command. Returns the function that unregisters it.
 */
export function onInterrupt(cleanup: () => void): () => void {
  if (cleanups.size === 0) install();
  cleanups.add(cleanup);
  return () => {
    if (cleanups.delete(cleanup) && cleanups.size === 0) uninstall();
  };
}

/** Run a commit with signals held back; a signal that came meanwhile is acted on afterwards. */
export async function whileCommitting<T>(commit: () => Promise<T>): Promise<T> {
  commits++;
  try {
    return await commit();
  } finally {
    commits--;
    if (commits === 0 && held !== undefined) {
      const signal = held;
      held = undefined;
      exitFor(signal);
    }
  }
}

/**
 * The `kvmclock` command line: one module per command under ./commands.
 * Exit codes: 0 success (also when the reader of our output went away: EPIPE), 2 bad
 * usage or a kvmclock error (message only; the environment refusing memory or a worker
 * included), 70 an unexpected failure (stack printed: a bug). A signal while an output
 * file is being written ends the process with 128 + the signal's number (./interrupt.ts).
 * Every command's failure goes through {@link exitCodeFor}: the one exit path.
 */
import { isKvmclockError } from '../errors.js';
import { isOutOfMemory, outOfMemory } from '../parallel/environment.js';
import { benchCommand } from './commands/bench.js';
import { clockCommand } from './commands/clock.js';
import { evalCommand } from './commands/eval.js';
import { hotplugCommand } from './commands/hotplug.js';
import { kernelsCommand } from './commands/kernels.js';
import { mergeCommand } from './commands/merge.js';
import { migrateCommand } from './commands/migrate.js';
import { probeCommand } from './commands/probe.js';
import { reportCommand } from './commands/report.js';
import { sweepCommand } from './commands/sweep.js';
import { timelineCommand } from './commands/timeline.js';
import { UsageError, type CliCommand } from './command.js';
import { streamWriter } from './stream-writer.js';

const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC']);

const COMMANDS: readonly CliCommand[] = [sweepCommand, mergeCommand, reportCommand, evalCommand, clockCommand, kernelsCommand, timelineCommand, migrateCommand, hotplugCommand, benchCommand, probeCommand];

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`);
  return ['usage: kvmclock <command> [options]', '', 'commands:', ...lines, '', 'kvmclock <command> --help for its options'].join('\n');
}

/** Run the CLI with the given arguments; resolves to the process exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  // Standard output's errors (EPIPE) reach the writes that wait on them, never an unhandled 'error' event.
  streamWriter(process.stdout);
  process.stderr.on('error', () => undefined);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`kvmclock: unknown command ${JSON.stringify(name)}\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    return exitCodeFor(name, e);
  }
}

/** What a command's failure means for the user: the message printed and the exit code. */
export function exitCodeFor(name: string, e: unknown): number {
  const code = (e as { code?: unknown })?.code;
  // The reader of our output went away (`… | head`): not a failure of ours.
  if (code === 'EPIPE') return 0;
  // A file or directory the user named cannot be used: a usage problem, not a bug.
  if (typeof code === 'string' && FILE_ERRORS.has(code)) {
    process.stderr.write(`kvmclock ${name}: ${(e as Error).message}\n`);
    return 2;
  }
  // The engine refused memory (ulimit -v, a container limit) on this thread: the environment, not a bug.
  // (Only for errors that are not ours on purpose: those may quote user input.)
  const unexpected = !(e instanceof UsageError) && (!isKvmclockError(e) || e.code === 'internal');
  const error = unexpected && isOutOfMemory(e) ? outOfMemory(e, `kvmclock ${name}`) : e;
  if (error instanceof UsageError || (isKvmclockError(error) && error.code !== 'internal')) {
    process.stderr.write(`kvmclock ${name}: ${(error as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`kvmclock ${name}: unexpected failure (a bug; please report it)\n${(error as Error)?.stack ?? String(error)}\n`);
  return 70;
}

// Run directly (tsx src/cli/main.ts …) as well as through bin/kvmclock.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}

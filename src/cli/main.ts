/**
 * The `kvmclock` command line: one module per command under ./commands.
 * Exit codes: 0 success, 2 bad usage or a kvmclock error (message only),
 * 70 an unexpected failure (stack printed: a bug).
 */
import { isKvmclockError } from '../errors.js';
import { benchCommand } from './commands/bench.js';
import { clockCommand } from './commands/clock.js';
import { evalCommand } from './commands/eval.js';
import { hotplugCommand } from './commands/hotplug.js';
import { migrateCommand } from './commands/migrate.js';
import { probeCommand } from './commands/probe.js';
import { reportCommand } from './commands/report.js';
import { sweepCommand } from './commands/sweep.js';
import { timelineCommand } from './commands/timeline.js';
import { UsageError, type CliCommand } from './command.js';

const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC']);

const COMMANDS: readonly CliCommand[] = [sweepCommand, reportCommand, evalCommand, clockCommand, timelineCommand, migrateCommand, hotplugCommand, benchCommand, probeCommand];

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`);
  return ['usage: kvmclock <command> [options]', '', 'commands:', ...lines, '', 'kvmclock <command> --help for its options'].join('\n');
}

/** Run the CLI with the given arguments; resolves to the process exit code. */
export async function run(argv: readonly string[]): Promise<number> {
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
    const code = (e as { code?: unknown })?.code;
    // The reader of our output went away (`… | head`): not a failure of ours.
    if (code === 'EPIPE') return 0;
    // A file or directory the user named cannot be used: a usage problem, not a bug.
    if (typeof code === 'string' && FILE_ERRORS.has(code)) {
      process.stderr.write(`kvmclock ${name}: ${(e as Error).message}\n`);
      return 2;
    }
    if (e instanceof UsageError || isKvmclockError(e)) {
      if (!(isKvmclockError(e) && e.code === 'internal')) {
        process.stderr.write(`kvmclock ${name}: ${(e as Error).message}\n`);
        return 2;
      }
    }
    process.stderr.write(`kvmclock ${name}: unexpected failure (a bug; please report it)\n${(e as Error)?.stack ?? String(e)}\n`);
    return 70;
  }
}

// Run directly (tsx src/cli/main.ts …) as well as through bin/kvmclock.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}

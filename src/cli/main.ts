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
import { UsageError, type CliCommand } from './command.js';
import { streamWriter } from './stream-writer.js';

const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC']);

/**
 * The commands, each loaded only when it runs: a command whose optional packages are not
 * installed (piscina for sweep and bench, say) fails alone, with a message naming them,
 * while every other command works.
 */
const COMMANDS: readonly { readonly name: string; readonly summary: string; readonly load: () => Promise<CliCommand> }[] = [
  { name: 'sweep', summary: 'drift of the KVM clock definitions across host × guest TSC frequencies (npm start)', load: async () => (await import('./commands/sweep.js')).sweepCommand },
  { name: 'merge', summary: 'put the parts of a sharded sweep back together, checked (one run, each point once)', load: async () => (await import('./commands/merge.js')).mergeCommand },
  { name: 'report', summary: "worked examples of the kernel's clock arithmetic, computed live", load: async () => (await import('./commands/report.js')).reportCommand },
  { name: 'eval', summary: 'evaluate kernel arithmetic commands line by line from stdin (spec protocol)', load: async () => (await import('./commands/eval.js')).evalCommand },
  { name: 'clock', summary: 'the KVM clock state and A/B/C for one host/guest TSC pair at a horizon', load: async () => (await import('./commands/clock.js')).clockCommand },
  { name: 'kernels', summary: 'one host/guest TSC pair under each kernel profile (6.18, 7.4-queued, clocks-v6, …) side by side', load: async () => (await import('./commands/kernels.js')).kernelsCommand },
  { name: 'timeline', summary: 'run a JSON event list on the KVM clock model', load: async () => (await import('./commands/timeline.js')).timelineCommand },
  { name: 'migrate', summary: 'live update / live migration methods M0–M5 side by side, exact guest-visible errors', load: async () => (await import('./commands/migrate.js')).migrateCommand },
  { name: 'hotplug', summary: 'the guest clock step a vCPU hotplug causes after days to months of uptime', load: async () => (await import('./commands/hotplug.js')).hotplugCommand },
  { name: 'bench', summary: 'billions of conversions on all cores: conversions/s and a checksum checked against the reference', load: async () => (await import('./commands/bench.js')).benchCommand },
  { name: 'probe', summary: "live check on a KVM guest: this machine's pvclock record, predicted vs measured drift, boot lines, --watch", load: async () => (await import('./commands/probe.js')).probeCommand },
  { name: 'explore', summary: 'write the drift explorer page (computed in the browser by the library)', load: async () => (await import('./commands/explore.js')).exploreCommand },
];

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
    return await (await command.load()).run(rest);
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

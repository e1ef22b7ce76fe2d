/**
 * Runs `kvmclock probe` from the sources in a child process, for the live test's Ctrl-C
 * check: `node --import tsx test/live/probe-cli.ts <probe options>`. Exit code and output
 * as the real CLI gives them (2 and the message for a kvmclock error).
 */
import { probeCommand } from '../../src/cli/commands/probe.js';
import { isKvmclockError } from '../../src/errors.js';

try {
  process.exitCode = await probeCommand.run(process.argv.slice(2));
} catch (e) {
  if (!isKvmclockError(e)) throw e;
  process.stderr.write(`kvmclock probe: ${(e as Error).message}\n`);
  process.exitCode = 2;
}

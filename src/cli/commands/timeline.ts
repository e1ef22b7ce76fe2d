/** `kvmclock timeline <file.json>`: run an event list on the clock model (schema in the README). */
import { readFile } from 'node:fs/promises';
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { parseTimeline, runTimeline, type TimelineResult } from '../../model/timeline.js';
import { type CliCommand, UsageError } from '../command.js';
import { toJson } from '../json.js';
import { backendOption, kernelOption, parseOptions } from '../options.js';
import { writeLines, writeStdout } from '../stream-writer.js';
import { groupDigits, tableLines } from '../table.js';

/** A UTF-8 byte order mark, which some editors put at the start of a file: not part of the JSON. */
const BOM = '\uFEFF';

const HELP = `usage: kvmclock timeline <file.json> [--kernel PROFILE[,PROFILE…]] [--json] [--backend wasm|reference]

Runs the events of a timeline file on the clock model and prints every event's outcome,
every discontinuity (guest TSC, A, B or C stepping at an event) and the samples taken at
each event. See the README ("Clock model") for the file format. --kernel runs the file
under each profile in turn (instead of the file's own "kernel", default 6.18), one report
(JSON line) each.`;

export const timelineCommand: CliCommand = {
  name: 'timeline',
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { kernel: { type: 'string' }, json: { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one timeline file (JSON)');
    const file = positionals[0];
    let doc: unknown;
    try {
      const text = await readFile(file, 'utf8');
      doc = JSON.parse(text.startsWith(BOM) ? text.slice(BOM.length) : text);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const timeline = parseTimeline(doc);
    const api = kvmclock(backendOption(values.backend));
    const kernels = values.kernel === undefined ? [timeline.kernel] : kernelOption(values.kernel);
    const start = timeline.start;
    const khz = BigInt(timeline.host.tscKhz);
    const since = (at: bigint) => formatDurationNs(((at - start) * 1_000_000n) / khz);
    for (const [i, kernel] of kernels.entries()) {
      const result = runTimeline(api, { ...timeline, kernel });
      const named = values.kernel === undefined ? {} : { kernel: kernel?.name };
      if (values.json) await writeStdout(`${toJson({ ...named, ...jsonView(result) })}\n`);
      else await writeLines(writeStdout, [...(i > 0 ? [''] : []), ...(values.kernel === undefined ? [] : [`kernel ${kernel?.name}`]), ...textLines(result, since)]);
    }
    return 0;
  },
};

function jsonView(r: TimelineResult) {
  return { events: r.events, discontinuities: r.discontinuities, samples: r.samples };
}

/** The text report, line by line (a timeline of any length streams out without one big string). */
function* textLines(r: TimelineResult, since: (at: bigint) => string): Generator<string> {
  yield 'events';
  yield* tableLines(
    ['#', 'at', 'event', 'outcome'],
    r.events.map((e) => [String(e.index), `+${since(e.at)}`, e.type, e.ok ? (e.clockData ? `clock ${groupDigits(e.clockData.clock)} flags ${e.clockData.flags}` : e.record ? `record ts ${groupDigits(e.record.tscTimestamp)} st ${groupDigits(e.record.systemTime)}` : 'ok') : `ERR ${e.error?.code}: ${e.error?.message}`]),
  );
  yield '';
  yield r.discontinuities.length === 0 ? 'no discontinuities' : 'discontinuities (after − before at the same instant; guest TSC in cycles, clocks in ns)';
  if (r.discontinuities.length > 0) {
    yield* tableLines(['at', 'vCPU', 'quantity', 'step', 'cause'], r.discontinuities.map((d) => [`+${since(d.at)}`, String(d.vcpu), d.quantity, `${d.step > 0n ? '+' : ''}${groupDigits(d.step)}`, `#${d.eventIndex} ${d.cause}`]));
  }
  yield '';
  yield 'samples (ns; guest read = what the guest clock returns)';
  yield* tableLines(
    ['at', 'vCPU', 'guest TSC', 'A', 'B', 'C', 'guest read'],
    r.samples.map((s) => [`+${since(s.at)}`, String(s.vcpu), s.guestTsc, s.a, s.b, s.c, `${groupDigits(s.guestRead)}${s.clamped ? ' (clamped)' : ''}`]),
  );
}

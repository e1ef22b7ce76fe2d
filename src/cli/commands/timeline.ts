/** `kvmclock timeline <file.json>`: run an event list on the clock model (schema in the README). */
import { readFile } from 'node:fs/promises';
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { parseTimeline, runTimeline, type TimelineResult } from '../../model/timeline.js';
import { type CliCommand, UsageError } from '../command.js';
import { toJson } from '../json.js';
import { backendOption, parseOptions } from '../options.js';
import { groupDigits, renderTable } from '../table.js';

const HELP = `usage: kvmclock timeline <file.json> [--json] [--backend wasm|reference]

Runs the events of a timeline file on the clock model and prints every event's outcome,
every discontinuity (guest TSC, A, B or C stepping at an event) and the samples taken at
each event. See the README ("Clock model") for the file format.`;

export const timelineCommand: CliCommand = {
  name: 'timeline',
  summary: 'run a JSON event list on the KVM clock model',
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { json: { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one timeline file (JSON)');
    const file = positionals[0];
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const timeline = parseTimeline(doc);
    const result = runTimeline(kvmclock(backendOption(values.backend)), timeline);
    const start = timeline.start;
    const khz = BigInt(timeline.host.tscKhz);
    const since = (at: bigint) => formatDurationNs(((at - start) * 1_000_000n) / khz);
    process.stdout.write(values.json ? `${toJson(jsonView(result))}\n` : `${renderText(result, since)}\n`);
    return 0;
  },
};

function jsonView(r: TimelineResult) {
  return { events: r.events, discontinuities: r.discontinuities, samples: r.samples };
}

function renderText(r: TimelineResult, since: (at: bigint) => string): string {
  const out: string[] = [];
  out.push('events');
  out.push(
    renderTable(
      ['#', 'at', 'event', 'outcome'],
      r.events.map((e) => [String(e.index), `+${since(e.at)}`, e.type, e.ok ? (e.clockData ? `clock ${groupDigits(e.clockData.clock)} flags ${e.clockData.flags}` : e.record ? `record ts ${groupDigits(e.record.tscTimestamp)} st ${groupDigits(e.record.systemTime)}` : 'ok') : `ERR ${e.error?.code}: ${e.error?.message}`]),
    ),
    '',
  );
  out.push(r.discontinuities.length === 0 ? 'no discontinuities' : 'discontinuities (after − before at the same instant; guest TSC in cycles, clocks in ns)');
  if (r.discontinuities.length > 0) {
    out.push(renderTable(['at', 'vCPU', 'quantity', 'step', 'cause'], r.discontinuities.map((d) => [`+${since(d.at)}`, String(d.vcpu), d.quantity, `${d.step > 0n ? '+' : ''}${groupDigits(d.step)}`, `#${d.eventIndex} ${d.cause}`])));
  }
  out.push('', 'samples (ns; guest read = what the guest clock returns)');
  out.push(
    renderTable(
      ['at', 'vCPU', 'guest TSC', 'A', 'B', 'C', 'guest read'],
      r.samples.map((s) => [`+${since(s.at)}`, String(s.vcpu), s.guestTsc, s.a, s.b, s.c, `${groupDigits(s.guestRead)}${s.clamped ? ' (clamped)' : ''}`]),
    ),
  );
  return out.join('\n');
}

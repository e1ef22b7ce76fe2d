/**
 * `kvmclock probe`: a live check on a real KVM guest. Reads this machine's pvclock record
 * (vCPU 0, via the vDSO's [vvar_vclock] page and a small native reader), finds what
 * CLOCK_MONOTONIC_RAW runs on (the current clocksource: the guest's TSC clocksource D, or
 * kvm-clock itself), predicts the drift of kvm-clock against it exactly, measures it,
 * compares the kernel's boot lines with the project's arithmetic, and with --watch reports
 * every record update the host makes. --replay runs the same analysis on a recording.
 */
import { kvmclock } from '../../index.js';
import type { KvmclockApi } from '../../api.js';
import { ProbeError } from '../../errors.js';
import type { PvclockRecord } from '../../model/pvclock-record.js';
import { analyse } from '../../probe/analysis.js';
import { sampleRecord } from '../../probe/measure.js';
import type { NativeSample } from '../../probe/native-output.js';
import { buildNativeReader, type NativeReader, type RunOptions, sampleClocks, startWatch } from '../../probe/native.js';
import { sameRecord } from '../../probe/record.js';
import { readRecording, RECORDING_FILES, type Recording } from '../../probe/recording.js';
import { probeJson, recordText, renderAnalysis, renderBoot, renderRun, renderRunsSummary, renderUpdate, type RunResult, type WatchEvent } from '../../probe/render.js';
import { runResult } from '../../probe/run.js';
import { recordStep } from '../../probe/step.js';
import { readSystemFacts } from '../../probe/system.js';
import { type CliCommand, UsageError } from '../command.js';
import { backendOption, parseOptions } from '../options.js';

const HELP = `usage: kvmclock probe [--seconds N] [--runs N] [--json] [--tsc-khz N] [--iterations N]
                      [--backend wasm|reference]
       kvmclock probe --watch [--poll-ms N] [--seconds N] [--json]
       kvmclock probe --replay DIR [--json] [--tsc-khz N]

On a Linux x86-64 KVM guest: reads the pvclock record the host keeps for vCPU 0 (the vDSO's
[vvar_vclock] page; a small C reader is compiled on first use, so a C compiler is needed)
and, with the project's exact arithmetic, prints
  - the guest's TSC frequency from the record (pvclock_tsc_khz) and every host tgt_tsc_khz
    that yields exactly this mul/shift; the signs of KVM's clock (the CPUID signature is
    shown as information only);
  - what CLOCK_MONOTONIC_RAW runs on (the current clocksource):
      tsc: clock D, the guest's TSC clocksource, registered from the guest's tsc_khz (boot
        log, else the record, else /proc/cpuinfo; --tsc-khz overrides), and the predicted
        drift of kvm-clock against D;
      kvm-clock: kvm-clock's 1 GHz registration (exactly 1 ns per kvm-clock ns, so RAW is
        the record's ns plus a constant), and D as it would be, labelled as not running;
      anything else: which predictions cannot be made, and why;
  - the same drift measured over --seconds (default 10) from paired TSC/clock readings,
    the residual, and on kvm-clock the exact check that RAW - record stays constant;
  - the kernel's boot lines (detected TSC, clocksource registrations) against the
    project's computation, line by line, when the kernel log is readable; TSC clocksources
    the kernel never registered are listed with the reason (e.g. marked unstable).

  --seconds N      measurement length in seconds (default 10; 0: no measurement).
                   With --watch: stop after N seconds (default: until Ctrl-C)
  --runs N         repeat the measurement N times (default 1)
  --iterations N   tries per paired reading; the narrowest TSC window wins (default 20000)
  --tsc-khz N      register D with this tsc_khz instead of the detected one
  --watch          poll the record and report every update the host makes, with the step
                   kvm-clock took at the switch (old vs new record at the same TSC)
  --poll-ms N      --watch polling period in ms (default 1)
  --json           JSON (with --watch: one JSON object per line)
  --replay DIR     analyse a recording instead of this machine: DIR holds sample-start.txt
                   and sample-end.txt (the native reader's "sample" output, some seconds
                   apart) and optionally dmesg.txt, cpuinfo.txt, config-hz.txt,
                   current_clocksource.txt, available_clocksource.txt (see
                   test/fixtures/probe/README.md)
  --record-file F  read the record from the first 32 bytes of file F instead (testing)`;

function uintOption(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`${name} expected a non-negative decimal integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} expected ${min}..${max}, got ${v}`);
  return n;
}

/** Resolves after ms, or early (to false) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A sample taken while the record did not change (a sample that straddles a host update is retaken). */
function stableSample(reader: NativeReader, iterations: number, o: RunOptions): NativeSample {
  for (let i = 0; i < 5; i++) {
    const s = sampleClocks(reader, iterations, o);
    if (sampleRecord(s) !== null) return s;
  }
  throw new ProbeError('changing', 'the pvclock record changed during five consecutive samples');
}

export const probeCommand: CliCommand = {
  name: 'probe',
  async run(argv) {
    const { values } = parseOptions(argv, {
      seconds: { type: 'string' },
      runs: { type: 'string' },
      iterations: { type: 'string' },
      'tsc-khz': { type: 'string' },
      watch: { type: 'boolean' },
      'poll-ms': { type: 'string' },
      json: { type: 'boolean' },
      'record-file': { type: 'string' },
      replay: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const api = kvmclock(backendOption(values.backend));
    const runOptions: RunOptions = values['record-file'] === undefined ? {} : { recordFile: values['record-file'] };
    const iterations = uintOption(values.iterations, '--iterations', 20_000, 1, 10_000_000);
    const tscKhzOption = values['tsc-khz'] === undefined ? undefined : uintOption(values['tsc-khz'], '--tsc-khz', 0, 1, 0xffff_ffff);
    const json = values.json === true;

    const watchMode = values.watch === true;
    const pollMs = uintOption(values['poll-ms'], '--poll-ms', 1, 1, 10_000);
    const seconds = uintOption(values.seconds, '--seconds', watchMode ? 0 : 10, 0, 1_000_000);
    const runs = uintOption(values.runs, '--runs', 1, 1, 1000);
    if (!watchMode && values['poll-ms'] !== undefined) throw new UsageError('--poll-ms needs --watch');
    if (values.replay !== undefined) {
      const clash = (['watch', 'record-file', 'seconds', 'runs', 'iterations', 'poll-ms'] as const).find((k) => values[k] !== undefined);
      if (clash) throw new UsageError(`--replay takes no --${clash}: the recording fixes what was measured`);
      const rec = readRecording(values.replay);
      if (!rec.ok) throw new UsageError(`--replay: ${rec.reason}`);
      return replay(api, rec.value, tscKhzOption, json);
    }

    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.on('SIGINT', onSigint);
    try {
      const reader = buildNativeReader();
      if (watchMode) return await watch(api, reader, pollMs, seconds, json, runOptions, abort.signal);

      const first = stableSample(reader, iterations, runOptions);
      const record = sampleRecord(first) as PvclockRecord;
      const a = analyse(api, { record, tscKhzOption, ...readSystemFacts(), native: first });
      const src = { hypervisor: first.hypervisor, pageSource: first.pageSource, retries: first.before.retries };
      if (!json) process.stdout.write(`${renderAnalysis(src, a)}\n\n${renderBoot(a)}\n`);

      const results: RunResult[] = [];
      let start = first;
      let interrupted = false;
      for (let run = 1; seconds > 0 && run <= runs; run++) {
        if (!json) process.stdout.write(`\nmeasuring for ${seconds} s…\n`);
        if (!(await sleep(seconds * 1000, abort.signal))) {
          interrupted = true;
          break;
        }
        const end = stableSample(reader, iterations, runOptions);
        const result = runResult(api, run, start, end, a);
        results.push(result);
        if (!json) process.stdout.write(`${renderRun(result)}\n`);
        start = end;
      }
      if (!json && results.length > 1) process.stdout.write(`\n${renderRunsSummary(results)}\n`);
      if (!json && interrupted) process.stdout.write('\ninterrupted\n');
      if (json) process.stdout.write(`${probeJson({ source: src, analysis: a, measurements: results, interrupted })}\n`);
      return interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

/** The analysis and the one measurement a recording holds, printed as a live run prints them. */
function replay(api: KvmclockApi, rec: Recording, tscKhzOption: number | undefined, json: boolean): number {
  const record = sampleRecord(rec.start) as PvclockRecord;
  const a = analyse(api, { record, tscKhzOption, ...rec.facts, native: rec.start });
  const src = { hypervisor: rec.start.hypervisor, pageSource: rec.start.pageSource, retries: rec.start.before.retries };
  const result = runResult(api, 1, rec.start, rec.end, a);
  if (json) {
    process.stdout.write(`${probeJson({ source: src, replay: rec.dir, analysis: a, measurements: [result], interrupted: false })}\n`);
    return 0;
  }
  process.stdout.write(`replaying the recording in ${rec.dir} (no live reading)\n\n${renderAnalysis(src, a)}\n\n${renderBoot(a)}\n`);
  process.stdout.write(`\nthe recorded samples (${RECORDING_FILES.start}, ${RECORDING_FILES.end}):\n${renderRun(result)}\n`);
  return 0;
}

async function watch(api: KvmclockApi, reader: NativeReader, pollMs: number, seconds: number, json: boolean, o: RunOptions, signal: AbortSignal): Promise<number> {
  let prev: PvclockRecord | null = null;
  let updates = 0;
  const startedAt = Date.now();
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const handle = startWatch(
    reader,
    pollMs * 1000,
    seconds,
    (l) => {
      if (l.kind === 'record' && prev === null) {
        prev = l.read.record;
        if (json) out(probeJson({ type: 'record', record: prev }));
        else out(`watching vCPU 0's pvclock record every ${pollMs} ms${seconds ? ` for ${seconds} s` : ''} (Ctrl-C ends)\n  current: ${recordText(prev)}`);
      } else if (l.kind === 'update' && prev !== null) {
        const next = l.update.record;
        if (sameRecord(prev, next)) return;
        const event: WatchEvent = { realtimeNs: l.update.realtimeNs, prev, next, step: recordStep(api, prev, next, l.update.tsc), retries: l.update.retries };
        updates++;
        out(json ? probeJson({ type: 'update', ...event }) : renderUpdate(event));
        prev = next;
      } else if (l.kind === 'busy') {
        out(json ? probeJson({ type: 'busy', ...l.busy }) : `update in progress for longer than a read budget (${l.busy.retries} retries); still watching`);
      }
    },
    o,
  );
  const onAbort = () => handle.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) handle.stop();
  const failure = await handle.done;
  signal.removeEventListener('abort', onAbort);
  if (failure) throw failure;
  const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
  out(json ? probeJson({ type: 'end', updates, seconds: Number(secs) }) : `${updates} update${updates === 1 ? '' : 's'} in ${secs} s`);
  return 0;
}

/**
 * `kvmclock probe`: a live check on a real KVM guest. Reads this machine's pvclock record
 * (vCPU 0, via the vDSO's [vvar_vclock] page and a small native reader), predicts the drift
 * of kvm-clock against the guest's own TSC clocksource (clock D, what CLOCK_MONOTONIC_RAW
 * runs on) exactly, measures it, compares the kernel's boot lines with the project's
 * arithmetic, and with --watch reports every record update the host makes.
 */
import { kvmclock } from '../../index.js';
import type { KvmclockApi } from '../../api.js';
import { ProbeError } from '../../errors.js';
import type { PvclockRecord } from '../../model/pvclock-record.js';
import { type Analysis, analyse } from '../../probe/analysis.js';
import { parseBootLog } from '../../probe/boot-log.js';
import { measureAgainstD, measureDrift, sampleRecord } from '../../probe/measure.js';
import { predictMonotonic } from '../../probe/mono.js';
import type { NativeSample } from '../../probe/native-output.js';
import { buildNativeReader, type NativeReader, type RunOptions, sampleClocks, startWatch } from '../../probe/native.js';
import { minus } from '../../probe/ratio-math.js';
import { sameRecord } from '../../probe/record.js';
import { probeJson, recordText, renderAnalysis, renderBoot, renderRun, renderRunsSummary, renderUpdate, type RunResult, type WatchEvent } from '../../probe/render.js';
import { recordStep } from '../../probe/step.js';
import { readCpuinfo, readCurrentClocksource, readKernelHz, readKernelLog } from '../../probe/system.js';
import { type CliCommand, UsageError } from '../command.js';
import { backendOption, parseOptions } from '../options.js';

const HELP = `usage: kvmclock probe [--seconds N] [--runs N] [--json] [--tsc-khz N] [--iterations N]
                      [--backend wasm|reference]
       kvmclock probe --watch [--poll-ms N] [--seconds N] [--json]

On a Linux x86-64 KVM guest: reads the pvclock record the host keeps for vCPU 0 (the vDSO's
[vvar_vclock] page; a small C reader is compiled on first use, so a C compiler is needed)
and, with the project's exact arithmetic, prints
  - the guest's TSC frequency from the record (pvclock_tsc_khz) and every host tgt_tsc_khz
    that yields exactly this mul/shift;
  - clock D, the guest's TSC clocksource (CLOCK_MONOTONIC_RAW's clock), registered from the
    guest's tsc_khz (boot log, else the record, else /proc/cpuinfo; --tsc-khz overrides);
  - the predicted drift of kvm-clock against D, then the same drift measured over
    --seconds (default 10) from paired TSC/clock readings, and the residual;
  - the kernel's boot lines (detected TSC, clocksource registrations) against the
    project's computation, line by line, when the kernel log is readable.

  --seconds N      measurement length in seconds (default 10; 0: no measurement).
                   With --watch: stop after N seconds (default: until Ctrl-C)
  --runs N         repeat the measurement N times (default 1)
  --iterations N   tries per paired reading; the narrowest TSC window wins (default 20000)
  --tsc-khz N      register D with this tsc_khz instead of the detected one
  --watch          poll the record and report every update the host makes, with the step
                   kvm-clock took at the switch (old vs new record at the same TSC)
  --poll-ms N      --watch polling period in ms (default 1)
  --json           JSON (with --watch: one JSON object per line)
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

function systemFacts(): Omit<Parameters<typeof analyse>[1], 'record' | 'tscKhzOption'> {
  const log = readKernelLog();
  const cpuinfo = readCpuinfo();
  const hz = readKernelHz();
  const cs = readCurrentClocksource();
  return {
    bootLog: log.ok ? { log: parseBootLog(log.value), source: log.source } : { unavailable: log.reason },
    cpuinfo: cpuinfo.ok ? cpuinfo.value : null,
    hz: hz.ok ? hz.value : null,
    currentClocksource: cs.ok ? cs.value : null,
  };
}

function runResult(api: KvmclockApi, run: number, start: NativeSample, end: NativeSample, a: Analysis): RunResult {
  const measurement = measureDrift(api, start, end, a.d, a.prediction);
  const monoPred = predictMonotonic(a.d, a.hz, end.ntp);
  const monoMeasured = measureAgainstD(start.pairs.mono, end.pairs.mono, a.d);
  return {
    run,
    measurement,
    windows: [start.pairs.raw.tscAfter - start.pairs.raw.tscBefore, end.pairs.raw.tscAfter - end.pairs.raw.tscBefore],
    mono: { measuredPpb: monoMeasured, predicted: monoPred, residualPpb: 'reason' in monoPred ? null : minus(monoMeasured, monoPred.vsDPpb) },
  };
}

export const probeCommand: CliCommand = {
  name: 'probe',
  summary: "live check on a KVM guest: this machine's pvclock record, predicted vs measured drift, boot lines, --watch",
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

    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.on('SIGINT', onSigint);
    try {
      const reader = buildNativeReader();
      if (watchMode) return await watch(api, reader, pollMs, seconds, json, runOptions, abort.signal);

      const first = stableSample(reader, iterations, runOptions);
      const record = sampleRecord(first) as PvclockRecord;
      const a = analyse(api, { record, tscKhzOption, ...systemFacts() });
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

/**
 * `kvmclock kernels`: one host/guest frequency pair under several kernel profiles, one
 * column per profile — the factors each kernel gives B and C, the exact drift rates, the
 * values at a horizon, the re-snapshot step, KVM_GET_CLOCK against what the guest reads, and
 * the M0–M5 errors of a default migration.
 */
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { kernelRateChart, kernelRateRows } from '../../plot/kernel-charts.js';
import { formatDecimal, type Ratio, reduce } from '../../rational.js';
import { type KernelComparison, compareKernels } from '../../report/kernel-comparison.js';
import type { CliCommand } from '../command.js';
import { ensureDirectory, writeCharts } from '../charts.js';
import { toJson } from '../json.js';
import { backendOption, kernelOption, pairOptions, parseOptions } from '../options.js';
import { writeLines, writeStdout } from '../stream-writer.js';
import { groupDigits, tableLines } from '../table.js';

const HELP = `usage: kvmclock kernels --host-khz N --guest-khz N [--vendor vmx|svm] [--at DURATION]
                        [--kernel PROFILE[,PROFILE…]] [--no-tsc-control] [--tolerance-ppm N]
                        [--no-migration] [--json] [--plot DIR] [--backend wasm|reference]

The spec's standard reference for one frequency pair under each kernel profile (default
6.18,7.4-queued,clocks-v6; compositions such as 7.4-queued+hz-pvclock), side by side: the
guest pvclock (B) and KVM_GET_CLOCK (C, or C′ through the guest TSC) factors, the drift
rates B − C, B − A and C − A as exact fractions, in ppb and per day, A, B and C --at after
the reference (default 1d), the step an unforced master-clock update would take there,
KVM_GET_CLOCK minus what the guest reads, and the guest KVM clock error each migration
method M0–M5 leaves (the host to an identical host, 4 vCPUs, a day since the reference,
200 ms downtime, hosts 30 µs apart; --no-migration skips it). --plot DIR draws the drift
rates per profile against guest frequency (1.0–3.5 GHz) on this host.`;

export const kernelsCommand: CliCommand = {
  name: 'kernels',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      at: { type: 'string' },
      kernel: { type: 'string' },
      'no-tsc-control': { type: 'boolean' },
      'tolerance-ppm': { type: 'string' },
      'no-migration': { type: 'boolean' },
      json: { type: 'boolean' },
      plot: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const api = kvmclock(backendOption(values.backend));
    const { hostKhz, guestKhz, vendor, horizonNs, tolerancePpm, hasTscControl, maxGuestKhz: maxGuest } = pairOptions(api, values);
    const kernels = kernelOption(values.kernel ?? '6.18,7.4-queued,clocks-v6');
    if (values.plot !== undefined) await ensureDirectory(values.plot);
    const r = compareKernels(api, { hostKhz, guestKhz, vendor, hasTscControl, tolerancePpm, horizonNs, kernels, migration: values['no-migration'] ? null : undefined });
    if (values.json) await writeStdout(`${toJson(comparisonJson(r))}\n`);
    else await writeLines(writeStdout, comparisonLines(r));
    if (values.plot !== undefined) {
      const guests = Array.from({ length: 26 }, (_, i) => 1_000_000 + i * 100_000).filter((k) => !hasTscControl || k < maxGuest);
      const chart = kernelRateChart(kernelRateRows(api, { hostKhz, vendor, hasTscControl, guestKhz: guests, kernels }), hostKhz, vendor);
      const files = await writeCharts(values.plot, 'kvmclock kernels', [chart]);
      process.stderr.write(`plots written: ${files.join(', ')}\n`);
    }
    return 0;
  },
};

const sgn = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));
const fraction = (r: Ratio) => {
  const x = reduce(r);
  return x.num === 0n ? '0' : `${x.num}/${x.den}`;
};
const ppb = (r: Ratio) => {
  const t = formatDecimal(r, 4);
  return t.startsWith('-') ? t : `+${t}`;
};
/** ns/day as ms/day with three decimals. */
const msPerDay = (r: Ratio) => {
  const t = formatDecimal({ num: r.num, den: r.den * 1_000_000n }, 3);
  return t.startsWith('-') ? t : `+${t}`;
};

/** The rows of the comparison table: one per quantity, one column per profile. */
function* comparisonLines(r: KernelComparison): Generator<string> {
  const cols = r.columns;
  yield `${groupDigits(r.hostKhz)} kHz ${r.vendor} host, guest ${groupDigits(r.guestKhz)} kHz (KVM_SET_TSC_KHZ), the standard reference evaluated at +${formatDurationNs(r.horizonNs)}`;
  yield '';
  const row = (label: string, f: (c: (typeof cols)[number]) => string): string[] => [label, ...cols.map(f)];
  const rows: string[][] = [
    row('changes', (c) => (c.kernel.changes.length === 0 ? 'none (baseline)' : `${c.kernel.changes.length}`)),
    row('B pvclock mul, shift', (c) => `${groupDigits(c.summary.vcpu.record.tscToSystemMul)}, ${c.summary.vcpu.record.tscShift}`),
    row('B pvclock frequency (Hz)', (c) => groupDigits(c.summary.vcpu.pvclockHz)),
    row('C mul, shift', (c) => `${c.summary.hostClock.viaGuestTsc ? 'C′ ' : ''}${groupDigits(c.summary.hostClock.mul)}, ${c.summary.hostClock.shift}`),
    row('B − C (ppb)', (c) => ppb(c.summary.ratePpb.bMinusC)),
    row('B − A (ppb)', (c) => ppb(c.summary.ratePpb.bMinusA)),
    row('C − A (ppb)', (c) => ppb(c.summary.ratePpb.cMinusA)),
    row('B − C per day (ms)', (c) => msPerDay(c.perDayNs.bMinusC)),
    row('B − A per day (ms)', (c) => msPerDay(c.perDayNs.bMinusA)),
    row('C − A per day (ms)', (c) => msPerDay(c.perDayNs.cMinusA)),
    row('A (ns)', (c) => groupDigits(c.summary.a)),
    row('B (ns)', (c) => groupDigits(c.summary.b)),
    row('C (ns)', (c) => groupDigits(c.summary.c)),
    row('B − C (ns)', (c) => sgn(c.summary.bMinusC)),
    row('B − A (ns)', (c) => sgn(c.summary.bMinusA)),
    row('C − A (ns)', (c) => sgn(c.summary.cMinusA)),
    row('re-snapshot step (ns)', (c) => sgn(c.summary.resnapshotStepNs)),
    row('KVM_GET_CLOCK − B (ns)', (c) => sgn(c.getClockMinusGuestNs)),
  ];
  if (r.migration !== null) {
    const methods = cols.find((c) => c.migration !== null)?.migration?.map((m) => m.method) ?? [];
    for (const m of methods) {
      rows.push(row(`${m.toUpperCase()} kvmclock error (ns)`, (c) => {
        const res = c.migration?.find((x) => x.method === m);
        return res === undefined ? (c.migrationError === null ? '-' : 'n/a') : sgn(res.kvmclockErrorNs);
      }));
    }
  }
  yield* tableLines(['', ...cols.map((c) => c.kernel.name)], rows);
  yield '';
  yield 'exact rates (X/Y − 1, per host cycle):';
  for (const c of cols) {
    yield `  ${c.kernel.name}: B − C ${fraction(rateFraction(c.summary.ratePpb.bMinusC))}, B − A ${fraction(rateFraction(c.summary.ratePpb.bMinusA))}, C − A ${fraction(rateFraction(c.summary.ratePpb.cMinusA))}`;
  }
  yield '';
  for (const c of cols) yield `${c.kernel.name}: ${c.kernel.changes.length === 0 ? 'the v6.18 baseline' : c.kernel.changes.join(', ')}`;
  if (r.migration !== null) {
    const m = r.migration;
    yield '';
    yield `migration: ${groupDigits(m.src.tscKhz)} → ${groupDigits(m.dst.tscKhz)} kHz, ${m.vcpus} vCPUs, ${formatDurationNs(m.uptimeNs)} since the reference, ${formatDurationNs(m.downtimeNs)} down, hosts ${formatDurationNs(m.syncErrorNs)} apart; error of B against the ideal at resume (kvmclock migrate --kernel for the rest)`;
    for (const c of cols) if (c.migrationError !== null) yield `  ${c.kernel.name}: the migration cannot run: ${c.migrationError}`;
  }
  yield 'ppb rates are exact fractions of the kernel’s fixed-point factors, rounded to 0.0001 when printed.';
}

/** A ppb fraction back to the rate X/Y − 1 itself (the kernel-variants tables print it that way). */
function rateFraction(ppbRate: Ratio): Ratio {
  return { num: ppbRate.num, den: ppbRate.den * 1_000_000_000n };
}

/** The JSON document: every integer as a decimal string, rates as exact fractions and decimals. */
function comparisonJson(r: KernelComparison) {
  const rate = (x: Ratio) => ({ exact: fraction(rateFraction(x)), ppb: Number(formatDecimal(x, 6)) });
  return {
    hostKhz: r.hostKhz,
    guestKhz: r.guestKhz,
    vendor: r.vendor,
    horizonNs: r.horizonNs,
    migration: r.migration,
    profiles: r.columns.map((c) => ({
      kernel: c.kernel.name,
      changes: c.kernel.changes,
      guestPvclock: { shift: c.summary.vcpu.record.tscShift, mul: c.summary.vcpu.record.tscToSystemMul, hz: c.summary.vcpu.pvclockHz, tgtKhz: c.summary.vcpu.tgtTscKhz },
      hostClock: c.summary.hostClock,
      rates: { bMinusC: rate(c.summary.ratePpb.bMinusC), bMinusA: rate(c.summary.ratePpb.bMinusA), cMinusA: rate(c.summary.ratePpb.cMinusA) },
      perDayNs: { bMinusC: formatDecimal(c.perDayNs.bMinusC, 3), bMinusA: formatDecimal(c.perDayNs.bMinusA, 3), cMinusA: formatDecimal(c.perDayNs.cMinusA, 3) },
      at: { h: c.summary.at, A: c.summary.a, B: c.summary.b, C: c.summary.c, bMinusCNs: c.summary.bMinusC, bMinusANs: c.summary.bMinusA, cMinusANs: c.summary.cMinusA },
      resnapshotStepNs: c.summary.resnapshotStepNs,
      getClock: c.summary.getClock,
      getClockMinusGuestNs: c.getClockMinusGuestNs,
      migration: c.migration?.map((m) => ({ method: m.method, name: m.name, tscErrorCycles: m.tscErrorCycles, kvmclockErrorNs: m.kvmclockErrorNs, disagreementNs: m.disagreementNs, resumeStepNs: m.resumeStepNs, fallback: m.fallback })) ?? null,
      migrationError: c.migrationError,
    })),
  };
}

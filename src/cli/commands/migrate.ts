/**
 * `kvmclock migrate`: every live-update / live-migration method on the same timeline,
 * side by side, with the exact guest-visible errors.
 */
import { describeDurationNs, formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { compareMigrationMethods, METHODS, type MethodId, type MigrationConfig, type MigrationReport } from '../../scenario/migration.js';
import { MIGRATION_GUESTS, type MigrationGuest, type VmclockPage } from '../../scenario/guest-clock-migration.js';
import { windowsMigrationCharts } from '../../plot/windows-charts.js';
import { formatDecimal, type Ratio } from '../../rational.js';
import { type CliCommand, UsageError } from '../command.js';
import { toJson } from '../json.js';
import { backendOption, kernelOption, horizonOption, integerInRange, khzOption, parseOptions, vendorOption } from '../options.js';
import { migrationCharts } from '../../plot/migration-charts.js';
import { longestReachNs } from '../../sweep/grid.js';
import { ensureDirectory, writeCharts } from '../charts.js';
import { writeLines, writeStdout } from '../stream-writer.js';
import { groupDigits, tableLines } from '../table.js';

const HELP = `usage: kvmclock migrate [options]

  --src-khz N            source host TSC kHz (default 2500000)
  --dst-khz N            destination host TSC kHz (default: the source's)
  --guest-khz N          guest TSC kHz, KVM_SET_TSC_KHZ on both sides (default 1000000)
  --vendor vmx|svm       both hosts (or --src-vendor / --dst-vendor; default vmx)
  --vcpus N              vCPUs (default 2)
  --uptime DURATION      time since the source's last master-clock reference (default 1d)
  --downtime DURATION    real time between pause and resume (default 300ms)
  --sync-error DURATION  destination CLOCK_REALTIME minus the source's, may be negative (default 50us)
  --vcpu-gap DURATION    time between the VMM's per-vCPU ioctls (default 10us)
  --method LIST          m0,m1,m2,m3,m4,m5 or all (default all)
  --dst-no-masterclock   the destination timekeeper is not on the TSC (no master clock)
  --live-update          same host, new VM: the host TSC never stopped, no sync error
  --guest linux|windows  the guest OS (default linux). windows: the guest enabled the Hyper-V
                         reference TSC page; adds per method clock H (the Hyper-V reference
                         time) at resume, the page's state, restoring the clock rounded to
                         100 ns, and VMClock for a VMM that carries or re-populates it
  --kernel LIST          kernel profiles both hosts run (default 6.18): one report (JSON line) each
  --json                 one JSON document (integers as decimal strings)
  --plot DIR             write SVG charts and an index.html into DIR
  --backend wasm|reference

Durations take ns, us, ms, s, m, h, d, w, y (a bare number is seconds).
M4 always runs as a live update on the source host.`;

function signedDuration(v: string, name: string): bigint {
  const negative = v.trim().startsWith('-');
  const ns = horizonOption(negative ? v.trim().slice(1) : v, name);
  return negative ? -ns : ns;
}

/**
 * The host TSCs of the migration scenario (src/scenario/migration.ts): the source host's
 * TSC reads 10^12 and the destination's 7·10^12 at the scenario's true time 0, and the
 * clocks are followed until an hour after the resume. The test of the largest --uptime
 * that fits pins these against the scenario.
 */
const SOURCE_TSC_AT_ZERO = 1_000_000_000_000n;
const DESTINATION_TSC_AT_ZERO = 7_000_000_000_000n;
const FOLLOWED_AFTER_RESUME_NS = 3_600_000_000_000n;

/** Refuse, before any work, an uptime and downtime whose last instant takes either host's TSC 2^63 cycles or more past where it started (see longestReachNs). */
function checkMigrationReach(c: MigrationConfig, given: { uptime: string; downtime: string }): void {
  const hosts = [{ khz: c.src.tscKhz, option: '--src-khz', base: SOURCE_TSC_AT_ZERO }];
  if (!c.liveUpdate) hosts.push({ khz: c.dst.tscKhz, option: '--dst-khz', base: DESTINATION_TSC_AT_ZERO });
  for (const h of hosts) {
    // The uptime is what the user will shorten: its limit is the host's reach less the downtime and the hour after resume.
    const longest = longestReachNs(h.khz, h.base) - c.downtimeNs - FOLLOWED_AFTER_RESUME_NS;
    if (c.uptimeNs <= longest) continue;
    throw new UsageError(
      `--uptime ${given.uptime} with --downtime ${given.downtime}: at ${h.option} ${h.khz} the host TSC (${h.base} + ${h.khz}·1000 per second, followed until an hour after the resume) would run 2^63 cycles or more past ${h.base}, which the kernel's raw-clock reader takes for a clock that went backwards; ` +
        (longest < 0n ? 'shorten --downtime' : `the longest --uptime that fits is ${describeDurationNs(longest)} (${longest} ns)`),
    );
  }
}

/** --guest: linux (the default) or windows; other guest kinds are refused, naming the option. */
function migrationGuestOption(v: string | undefined): MigrationGuest {
  if (v === undefined) return 'linux';
  const kind = v.trim().toLowerCase();
  if ((MIGRATION_GUESTS as readonly string[]).includes(kind)) return kind as MigrationGuest;
  if (kind === 'xen') throw new UsageError('--guest xen does not apply to migrate: a Xen guest\'s time is kvmclock B itself, which the linux table already shows; --guest expected linux or windows');
  throw new UsageError(`--guest expected ${MIGRATION_GUESTS.join(' or ')}, got ${JSON.stringify(v)}`);
}

function methodsOption(v: string | undefined): MethodId[] {
  if (v === undefined || v.trim().toLowerCase() === 'all') return [...METHODS];
  const list = v.split(',').map((m) => m.trim().toLowerCase());
  for (const m of list) if (!(METHODS as readonly string[]).includes(m)) throw new UsageError(`--method expected a list of ${METHODS.join(', ')} or "all", got ${JSON.stringify(m)}`);
  return list as MethodId[];
}


export const migrateCommand: CliCommand = {
  name: 'migrate',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'src-khz': { type: 'string' },
      'dst-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      'src-vendor': { type: 'string' },
      'dst-vendor': { type: 'string' },
      vcpus: { type: 'string' },
      uptime: { type: 'string' },
      downtime: { type: 'string' },
      'sync-error': { type: 'string' },
      'vcpu-gap': { type: 'string' },
      method: { type: 'string' },
      'dst-no-masterclock': { type: 'boolean' },
      'live-update': { type: 'boolean' },
      guest: { type: 'string' },
      kernel: { type: 'string' },
      plot: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values['live-update']) {
      for (const o of ['dst-khz', 'dst-vendor', 'sync-error', 'dst-no-masterclock'] as const) {
        if (values[o] !== undefined) throw new UsageError(`--${o} does not apply to --live-update (same host, no sync error)`);
      }
    }
    const srcKhz = khzOption(values['src-khz'], '--src-khz', 2_500_000);
    const guest = migrationGuestOption(values.guest);
    const base: MigrationConfig = {
      src: { tscKhz: srcKhz, vendor: vendorOption(values['src-vendor'] ?? values.vendor, values['src-vendor'] === undefined ? '--vendor' : '--src-vendor') },
      dst: { tscKhz: khzOption(values['dst-khz'], '--dst-khz', srcKhz), vendor: vendorOption(values['dst-vendor'] ?? values.vendor, values['dst-vendor'] === undefined ? '--vendor' : '--dst-vendor') },
      guestKhz: khzOption(values['guest-khz'], '--guest-khz', 1_000_000),
      vcpus: integerInRange(values.vcpus, '--vcpus', 2, 1, 1024),
      uptimeNs: horizonOption(values.uptime ?? '1d', '--uptime'),
      downtimeNs: horizonOption(values.downtime ?? '300ms', '--downtime'),
      syncErrorNs: values['live-update'] ? 0n : signedDuration(values['sync-error'] ?? '50us', '--sync-error'),
      vcpuGapNs: horizonOption(values['vcpu-gap'] ?? '10us', '--vcpu-gap'),
      dstNoMasterClock: values['dst-no-masterclock'] === true,
      liveUpdate: values['live-update'] === true,
    };
    // A Linux guest (the default, or --guest linux) runs the scenario exactly as before, config included.
    const config: MigrationConfig = guest === 'windows' ? { ...base, guest } : base;
    checkMigrationReach(config, { uptime: values.uptime ?? '1d', downtime: values.downtime ?? '300ms' });
    const kernels = kernelOption(values.kernel);
    const methods = methodsOption(values.method);
    if (values.plot !== undefined) await ensureDirectory(values.plot);
    const api = kvmclock(backendOption(values.backend));
    const named = values.kernel !== undefined;
    const reports = kernels.map((kernel) => compareMigrationMethods(api, named ? { ...config, kernel } : config, methods));
    if (values.json) await writeStdout(`${reports.map((r) => toJson(named ? { ...r, kernel: r.config.kernel?.name } : r)).join('\n')}\n`);
    else await writeLines(writeStdout, reports.flatMap((r, i) => [...(i > 0 ? [''] : []), ...(named ? [`kernel ${r.config.kernel?.name}: ${r.config.kernel?.changes.join(', ') || 'the v6.18 baseline'}`] : []), ...reportLines(r), ...(r.windows === undefined ? [] : ['', ...windowsLines(r)])]));
    if (values.plot !== undefined) {
      const charts = reports.flatMap((r) => [...migrationCharts(r), ...windowsMigrationCharts(r)].map((c) => (reports.length === 1 ? c : { ...c, name: `${c.name}-${r.config.kernel?.name}`, title: `${c.title} (kernel ${r.config.kernel?.name})` })));
      const files = await writeCharts(values.plot, 'kvmclock migrate', charts);
      process.stderr.write(`plots written: ${files.join(', ')}\n`);
    }
    return 0;
  },
};

const sgn = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));

export function renderReport(r: MigrationReport): string {
  return [...reportLines(r)].join('\n');
}

function reportLines(r: MigrationReport): string[] {
  const c = r.config;
  const where = c.liveUpdate ? `live update on a ${groupDigits(c.src.tscKhz)} kHz ${c.src.vendor} host` : `${groupDigits(c.src.tscKhz)} kHz ${c.src.vendor} → ${groupDigits(c.dst.tscKhz)} kHz ${c.dst.vendor}${c.dstNoMasterClock ? ' (no master clock)' : ''}`;
  const out = [
    `${where}; guest ${groupDigits(c.guestKhz)} kHz, ${c.vcpus} vCPU(s); uptime since the last master-clock reference ${formatDurationNs(c.uptimeNs)}, downtime ${formatDurationNs(c.downtimeNs)}, sync error ${c.syncErrorNs < 0n ? '-' : ''}${formatDurationNs(c.syncErrorNs < 0n ? -c.syncErrorNs : c.syncErrorNs)}`,
    `errors at resume against the ideal (guest TSC kept running at its frequency, KVM clock the same function of it)`,
    '',
    ...tableLines(
      ['method', 'TSC error (cycles)', 'TSC error (ns)', 'kvmclock error (ns)', 'TSC/kvmclock disagreement (ns)', 'step at resume (ns)', 'backwards seen (ns)', 'REALTIME error (ns)', 'vCPU skew (cycles)'],
      r.results.map((m) => [
        m.method.toUpperCase(),
        sgn(m.tscErrorCycles),
        sgn(m.tscErrorNs),
        sgn(m.kvmclockErrorNs),
        sgn(m.disagreementNs),
        sgn(m.resumeStepNs),
        m.guardApplies && m.backwardNs > 0n ? `0 (held ${groupDigits(m.backwardNs)})` : groupDigits(m.backwardSeenNs),
        m.method === 'm5' ? `${sgn(m.realtimeErrorNs)} → ${sgn(m.realtimeErrorAfterNotifyNs)}` : sgn(m.realtimeErrorNs),
        groupDigits(m.vcpuSkewCycles),
      ]),
    ),
    '',
    ...r.results.map((m) => `${m.method.toUpperCase()}  ${m.name}${m.fallback ? `\n     fallback: ${m.fallback}` : ''}`),
    '',
    'TSC error (ns) is cycles at the guest frequency, rounded toward zero. "backwards seen": what the guest clock shows; with the',
    'last_value guard (record without TSC_STABLE) it holds still instead. M5: REALTIME error before → after the guest handles the notification.',
  ];
  return out;
}

const NS_PER_SEC = 1_000_000_000n;

const ppbText = (r: Ratio, digits: number) => {
  const t = formatDecimal(r, digits);
  return t.startsWith('-') ? t : `+${t}`;
};

/** A VMClock page's time as seconds.nanoseconds (the guest's floor of time_frac_sec). */
function vmclockTimeText(p: VmclockPage): string {
  const ns = (p.timeFracSec * NS_PER_SEC) >> 64n;
  return `${groupDigits(p.timeSec)}.${ns.toString().padStart(9, '0')}`;
}

/** What the guest reads H from, in words. */
function hSource(m: NonNullable<MigrationReport['results'][number]['windows']>): string {
  return m.source === 'page' ? 'page' : `MSR ⌊${m.kvmclockDefinition}/100⌋`;
}

function pageText(m: NonNullable<MigrationReport['results'][number]['windows']>): string {
  const p = m.page;
  // The sequence is not shown: KVM continues the migrated page's sequence, which the model does not carry (it restarts at 1).
  if (p.status === 'set') return 'SET';
  if (p.status === 'broken') return `BROKEN (${p.invalidReason === 'unstable' ? 'no TSC_STABLE' : p.invalidReason === 'mul' ? 'tick ≥ 100 ns' : p.invalidReason})`;
  return p.status.toUpperCase();
}

/** The Windows guest's tables: clock H per method, the rounding comparison, VMClock. */
function windowsLines(r: MigrationReport): string[] {
  const w = r.windows;
  const v = r.vmclock;
  if (w === undefined || v === undefined) return [];
  const g = groupDigits;
  const p = w.sourcePage;
  const out: string[] = [
    `Windows guest: clock H, the Hyper-V reference time (100 ns units). The guest enabled the reference TSC page at boot; on the source it is ${p.status === 'set' ? `SET (scale ${g(p.scale)}, offset ${sgn(p.offset)})` : `${p.status.toUpperCase()}: the guest reads the MSR`}.`,
    `The destination VMM restores HV_X64_MSR_REFERENCE_TSC (a host write) with the vCPU state; KVM computes the page at the first KVM_RUN.`,
    `last H read before the pause ${g(w.lastReadUnits)}; ideal H at resume ${g(w.idealUnits)} (what the source would have given the guest then: ${p.status === 'set' ? 'its page line at the ideal guest TSC' : 'its MSR'})`,
    '',
    ...tableLines(
      ['method', 'H step at resume (units)', 'H step (ns)', 'H error (units)', 'H error (ns)', 'page after resume', 'H read from', 'H − ⌊B/100⌋', 'H backwards (units)'],
      r.results.map((m) => {
        const x = m.windows as NonNullable<typeof m.windows>;
        return [m.method.toUpperCase(), sgn(x.stepUnits), sgn(x.stepNs), sgn(x.errorUnits), sgn(x.errorNs), pageText(x), hSource(x), sgn(x.minusBUnits), g(x.backwardUnits)];
      }),
    ),
    '',
    'A page computed from a record without PVCLOCK_TSC_STABLE (no master clock, or restored TSC offsets that do not match) is BROKEN',
    'until the MSR is written again, and Windows reads the reference-counter MSR: ⌊C/100⌋ with a master clock, ⌊A/100⌋ without — not B.',
  ];
  out.push('');
  if (w.rounding.length === 0) {
    out.push('restoring the clock rounded to 100 ns: no compared method restores the saved clock with KVM_SET_CLOCK');
  } else {
    out.push(
      `restoring the saved clock (KVM_GET_CLOCK on the source, ${g(w.rounding[0].savedClockNs)} ns) exactly, rounded down (⌊c/100⌋·100) or up (⌈c/100⌉·100) with KVM_SET_CLOCK:`,
      '',
      ...tableLines(
        ['method', 'restore', 'restored − saved (ns)', 'B step at resume (ns)', 'H step at resume (units)', 'B vs exact (ns)', 'H vs exact (units)'],
        w.rounding.flatMap((row) => row.variants.map((x) => [row.method.toUpperCase(), x.rounding, sgn(x.roundingNs), sgn(x.bStepNs), sgn(x.hStepUnits), sgn(x.bVsExactNs), sgn(x.hVsExactUnits)])),
      ),
      '',
      `never below the exact restore (B and H, every method above): ${w.neverBackwards.filter((x) => x !== 'exact').join(', ') || 'no rounding'}; rounding down moves B back by c mod 100 ns.`,
    );
  }
  const s = v.page;
  out.push(
    '',
    `VMClock (populated by the VMM, not KVM) for the guest TSC at ${g(v.counterHz)} Hz: counter_period_shift ${s.counterPeriodShift}, counter_period_frac_sec ${g(s.counterPeriodFracSec)};`,
    `source page at the pause: counter_value ${g(s.counterValue)}, time ${vmclockTimeText(s)} UTC, tai_offset_sec ${s.taiOffsetSec}, disruption_marker ${s.disruptionMarker};`,
    `VMClock time against the source's kvmclock B ${ppbText(v.vsBPpb, 6)} ppb, against the TSC at exactly ${g(v.counterHz / 1000n)} kHz ${ppbText(v.vsNominalPpb, 12)} ppb`,
    '',
    ...tableLines(
      ['method', 'counter disrupted', 'carried: TAI error (ns)', 'carried: marker', 're-populated: TAI error (ns)', 're-populated: marker', 'against B after resume (ppb)'],
      r.results.map((m) => {
        const x = m.vmclock as NonNullable<typeof m.vmclock>;
        return [
          m.method.toUpperCase(),
          x.counterDisrupted ? 'yes' : 'no',
          sgn(x.carried.errorNs),
          x.counterDisrupted ? 'unchanged: guest not told' : 'unchanged',
          sgn(x.repopulated.errorNs),
          x.repopulated.markerChanged ? `${x.carried.page.disruptionMarker} → ${x.repopulated.page.disruptionMarker}` : 'unchanged',
          ppbText(x.vsBPpb, 6),
        ];
      }),
    ),
    '',
    'carried: the page migrated as memory, unchanged (the guest extrapolates the source line from its restored TSC); re-populated: the',
    'destination VMM writes a new page from its own CLOCK_REALTIME at resume and a new disruption marker if the counter was disrupted.',
  );
  return out;
}
